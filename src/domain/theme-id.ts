/**
 * The id a theme's name makes ("Milk alternatives" → "milk-alternatives"), the first not `taken`
 * ("-2", "-3" … after it). Ids name a theme in filters, links and exports, so they stay plain.
 */
export function themeIdFor(name: string, taken: (id: string) => boolean): string {
  const base = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'theme';
  let id = base;
  for (let k = 2; taken(id); k++) id = `${base}-${k}`;
  return id;
}
