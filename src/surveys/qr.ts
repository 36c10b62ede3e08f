/**
 * QR codes for open and kiosk links (receipts, posters, table tents). Error correction M survives
 * a smudged or creased print (~15% of the code) while keeping a ~150-character link at a module
 * size that phone cameras read from arm's length.
 */
import QRCode from 'qrcode';

// Four modules of quiet zone is what the standard asks for; two still scans and wastes less paper.
const options = (size: number) => ({ errorCorrectionLevel: 'M' as const, margin: 2, width: size });

export function qrSvg(url: string, size: number): Promise<string> {
  return QRCode.toString(url, { ...options(size), type: 'svg' });
}

export function qrPng(url: string, size: number): Promise<Buffer> {
  return QRCode.toBuffer(url, { ...options(size), type: 'png' });
}
