import { Random } from '../../src/domain/random.ts';
import type { SpecMessage } from '../../src/ingest/types.ts';

// Segment messages shaped like what analytics.js and the server libraries send for an online
// shop: mostly track, then page, then identify, with full browser context. Sizes matter more
// than exact values here, because parsing, validation and JSON storage scale with them.

export interface Person {
  userId: string | null;
  anonymousId: string;
  email: string | null;
  firstName: string;
  lastName: string;
  plan: string;
  createdAt: string;
  userAgent: string;
  ip: string;
  locale: string;
  timezone: string;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Linus', 'Margaret', 'Dennis', 'Barbara', 'Ken', 'Frances', 'Edsger', 'Radia', 'Donald', 'Hedy', 'Tim', 'Katherine', 'John'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Torvalds', 'Hamilton', 'Ritchie', 'Liskov', 'Thompson', 'Allen', 'Dijkstra', 'Perlman', 'Knuth', 'Lamarr', 'Berners-Lee', 'Johnson', 'McCarthy'];
const PLANS = ['free', 'plus', 'premium'] as const;
const LOCALES: Array<[string, string]> = [['en-US', 'America/New_York'], ['en-GB', 'Europe/London'], ['de-DE', 'Europe/Berlin'], ['fr-FR', 'Europe/Paris'], ['nl-NL', 'Europe/Amsterdam'], ['es-ES', 'Europe/Madrid']];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
];
const CATEGORIES = ['Shoes', 'Jackets', 'Bags', 'Accessories', 'Knitwear', 'Outdoor'];
const BRANDS = ['Northwind', 'Fjallraven', 'Patagonia', 'Veja', 'Arcteryx', 'Muji'];
const SITE = 'https://shop.example.com';
const CAMPAIGNS = [
  { name: 'Summer Sale', source: 'newsletter', medium: 'email', term: null, content: 'hero-banner' },
  { name: 'Loyalty Rewards Launch', source: 'google', medium: 'cpc', term: 'loyalty rewards', content: 'text-ad-2' },
  { name: 'Back to School', source: 'instagram', medium: 'social', term: null, content: 'story-1' },
  { name: 'Black Friday Early Access', source: 'facebook', medium: 'paid_social', term: null, content: 'carousel' },
];
const PAGES = [
  { name: 'Home', category: null, path: '/' },
  { name: 'Category', category: 'Shop', path: '/c/shoes' },
  { name: 'Category', category: 'Shop', path: '/c/jackets' },
  { name: 'Product', category: 'Shop', path: '/p/trail-runner-2' },
  { name: 'Product', category: 'Shop', path: '/p/down-parka' },
  { name: 'Cart', category: 'Checkout', path: '/cart' },
  { name: 'Checkout', category: 'Checkout', path: '/checkout' },
  { name: 'Order Confirmation', category: 'Checkout', path: '/checkout/thank-you' },
  { name: 'Account', category: 'Account', path: '/account/orders' },
  { name: 'Help', category: 'Support', path: '/help/returns' },
];

interface Product {
  product_id: string;
  sku: string;
  name: string;
  category: string;
  brand: string;
  variant: string;
  price: number;
  url: string;
  image_url: string;
}

function catalog(rng: Random): Product[] {
  return Array.from({ length: 200 }, (_, i) => {
    const category = rng.pick(CATEGORIES);
    const brand = rng.pick(BRANDS);
    const id = `prd_${String(i).padStart(5, '0')}`;
    const slug = `${brand}-${category}-${i}`.toLowerCase();
    return {
      product_id: id,
      sku: `${category.slice(0, 3).toUpperCase()}-${String(10_000 + i * 7)}`,
      name: `${brand} ${category.replace(/s$/, '')} ${i}`,
      category,
      brand,
      variant: rng.pick(['black', 'navy', 'olive', 'sand', 'red']),
      price: Math.round(rng.float(15, 320) * 100) / 100,
      url: `${SITE}/p/${slug}`,
      image_url: `https://cdn.example.com/img/${slug}.jpg`,
    };
  });
}

/** `count` people: 70% identified (userId and anonymousId on every message), the rest anonymous visitors. */
export function people(count: number, seed = 7): Person[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, (_, i) => {
    const known = i < Math.round(count * 0.7);
    const firstName = rng.pick(FIRST);
    const lastName = rng.pick(LAST);
    const [locale, timezone] = rng.pick(LOCALES);
    return {
      userId: known ? userIdOf(i) : null,
      anonymousId: rng.uuid(),
      email: known ? `${firstName}.${lastName}.${i}@example.com`.toLowerCase() : null,
      firstName,
      lastName,
      plan: rng.pick(PLANS),
      createdAt: new Date(Date.UTC(2022, 0, 1) + rng.int(0, 900) * 86_400_000).toISOString(),
      userAgent: rng.pick(AGENTS),
      ip: `${rng.int(11, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      locale,
      timezone,
    };
  });
}

export function userIdOf(i: number): string {
  return `usr_${String(i).padStart(6, '0')}`;
}

/** Makes messages without messageIds; the caller gives each one a unique id. */
export class MessageMaker {
  private readonly rng: Random;
  private readonly products: Product[];
  private order = 0;

  constructor(
    private readonly pool: Person[],
    seed = 11,
    private readonly now = Date.now(),
  ) {
    this.rng = new Random(seed);
    this.products = catalog(new Random(seed + 1));
  }

  next(): SpecMessage {
    const p = this.rng.pick(this.pool);
    const r = this.rng.next();
    if (p.userId && r < 0.12) return this.identify(p);
    if (r < 0.4) return this.page(p);
    return this.track(p);
  }

  private base(p: Person, type: SpecMessage['type'], page: (typeof PAGES)[number]) {
    const campaign = this.rng.chance(0.15) ? this.rng.pick(CAMPAIGNS) : null;
    const search = campaign ? `?utm_source=${campaign.source}&utm_medium=${campaign.medium}&utm_campaign=${encodeURIComponent(campaign.name)}` : '';
    const context: Record<string, unknown> = {
      library: { name: 'analytics.js', version: 'next-1.72.0' },
      ip: p.ip,
      locale: p.locale,
      timezone: p.timezone,
      userAgent: p.userAgent,
      page: { path: page.path, referrer: this.rng.chance(0.5) ? 'https://www.google.com/' : '', search, title: `${page.name} | Example Shop`, url: `${SITE}${page.path}${search}` },
    };
    if (campaign) context.campaign = campaign;
    const message: SpecMessage = { type, anonymousId: p.anonymousId, context, timestamp: new Date(this.now - this.rng.int(0, 3_600_000)).toISOString() };
    if (p.userId) message.userId = p.userId;
    return message;
  }

  private identify(p: Person): SpecMessage {
    return {
      ...this.base(p, 'identify', this.rng.pick(PAGES)),
      traits: {
        email: p.email,
        firstName: p.firstName,
        lastName: p.lastName,
        name: `${p.firstName} ${p.lastName}`,
        plan: p.plan,
        createdAt: p.createdAt,
        address: { city: 'Amsterdam', country: 'NL' },
      },
    };
  }

  private page(p: Person): SpecMessage {
    const page = this.rng.pick(PAGES);
    const m = this.base(p, 'page', page);
    const ctxPage = (m.context as Record<string, any>).page;
    return { ...m, name: page.name, ...(page.category ? { category: page.category } : {}), properties: { ...ctxPage, name: page.name } };
  }

  private lineItems(n: number) {
    return Array.from({ length: n }, () => {
      const { product_id, sku, name, category, brand, variant, price } = this.rng.pick(this.products);
      return { product_id, sku, name, category, brand, variant, price, quantity: this.rng.int(1, 3) };
    });
  }

  private track(p: Person): SpecMessage {
    const r = this.rng.next();
    const product = this.rng.pick(this.products);
    const productPage = PAGES[3];
    if (p.userId && r < 0.08) {
      const products = this.lineItems(this.rng.int(1, 4));
      const subtotal = Math.round(products.reduce((s, x) => s + x.price * x.quantity, 0) * 100) / 100;
      const shipping = subtotal > 100 ? 0 : 4.95;
      const tax = Math.round(subtotal * 0.21 * 100) / 100;
      const discount = this.rng.chance(0.2) ? 10 : 0;
      return {
        ...this.base(p, 'track', PAGES[7]),
        event: 'Order Completed',
        properties: {
          checkout_id: `chk_${this.order}`,
          order_id: `ord_${++this.order}`,
          affiliation: 'Web Store',
          total: Math.round((subtotal + shipping + tax - discount) * 100) / 100,
          subtotal,
          revenue: subtotal - discount,
          shipping,
          tax,
          discount,
          coupon: discount ? 'WELCOME10' : null,
          currency: 'EUR',
          products,
        },
      };
    }
    if (p.userId && r < 0.15) {
      const products = this.lineItems(this.rng.int(1, 3));
      const value = Math.round(products.reduce((s, x) => s + x.price * x.quantity, 0) * 100) / 100;
      return { ...this.base(p, 'track', PAGES[6]), event: 'Checkout Started', properties: { order_id: `ord_${this.order + 1}`, value, revenue: value, currency: 'EUR', products } };
    }
    if (r < 0.3) {
      return { ...this.base(p, 'track', PAGES[5]), event: 'Product Added', properties: { ...product, currency: 'EUR', quantity: this.rng.int(1, 3), cart_id: `cart_${p.anonymousId.slice(0, 8)}` } };
    }
    if (r < 0.38) {
      return { ...this.base(p, 'track', PAGES[1]), event: 'Products Searched', properties: { query: `${product.brand} ${product.category}`.toLowerCase() } };
    }
    return { ...this.base(p, 'track', productPage), event: 'Product Viewed', properties: { ...product, currency: 'EUR', value: product.price, position: this.rng.int(1, 24) } };
  }
}

// ---------------------------------------------------------------------------------------------
// Batch bodies with unique messageIds, fast enough for the load generator: a pool of prebuilt
// JSON bodies whose messageIds hold a fixed-width slot, overwritten in a copy for each request.

export const BATCH_SIZE = 100;
const SLOT = 'XXXXXXXX';
const SLOT_WIDTH = SLOT.length;
const SCATTER_SLOT = 'YYYYYYYY';
export const MESSAGE_ID_PREFIX = 'bench-';

/**
 * 8 hex digits that look random for consecutive `n`. Client libraries send random UUIDs as
 * messageIds: ids in sending order would make every index on them an append, flattering the server.
 */
export function scatter(n: number): string {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return ((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0');
}

/** SQL that extracts the batch number from an event's message_id (SQLite and PostgreSQL). */
export const BATCH_OF_MESSAGE_SQL = `cast(substr(message_id, ${MESSAGE_ID_PREFIX.length + SCATTER_SLOT.length + 2}, ${SLOT_WIDTH}) as integer)`;

export class BatchBodies {
  private readonly templates: Buffer[] = [];
  private readonly slots: number[][] = [];
  /** Every message in the pool, messageId left out, for benchmarks that want the same data. */
  readonly messages: SpecMessage[] = [];

  constructor(maker: MessageMaker, poolSize: number) {
    for (let t = 0; t < poolSize; t++) {
      const batch: SpecMessage[] = [];
      for (let i = 0; i < BATCH_SIZE; i++) {
        const m = maker.next();
        this.messages.push(m);
        // messageId: `bench-<8 scattered hex>-<8-digit batch>-<2-digit index>`.
        batch.push({ messageId: `${MESSAGE_ID_PREFIX}${SCATTER_SLOT}-${SLOT}-${String(i).padStart(2, '0')}`, ...m });
      }
      const buf = Buffer.from(JSON.stringify({ batch, sentAt: new Date().toISOString() }));
      const slots: number[] = [];
      for (let at = buf.indexOf(SLOT); at !== -1; at = buf.indexOf(SLOT, at + SLOT_WIDTH)) slots.push(at);
      if (slots.length !== BATCH_SIZE) throw new Error(`batch template has ${slots.length} id slots, expected ${BATCH_SIZE}`);
      this.templates.push(buf);
      this.slots.push(slots);
    }
  }

  get averageBytes(): number {
    return Math.round(this.templates.reduce((s, b) => s + b.length, 0) / this.templates.length);
  }

  /** The body of batch number `n` (0 ≤ n < 10^8): a pooled template with the ids of batch n. */
  body(n: number): Buffer {
    const t = n % this.templates.length;
    const out = Buffer.allocUnsafe(this.templates[t].length);
    this.templates[t].copy(out);
    const digits = String(n).padStart(SLOT_WIDTH, '0');
    // Slots are in message order (the i-th is message i's), each right after its scattered part.
    const slots = this.slots[t];
    for (let i = 0; i < slots.length; i++) {
      out.write(digits, slots[i], 'latin1');
      out.write(scatter(n * BATCH_SIZE + i), slots[i] - SCATTER_SLOT.length - 1, 'latin1');
    }
    return out;
  }
}
