/**
 * Who is who: the identity rule, as a function of the messages received, whatever their order.
 *
 * - A userId is a hard identity. Two userIds are one person only when an `alias` says so (its
 *   userId and previousId); nothing else ever joins them.
 * - anonymousIds, emails and phones are soft. A message WITHOUT a userId says its soft ids belong
 *   together (one device, one sign-up form): they form a soft component. A message WITH a userId
 *   says each of its soft ids was seen with that userId (a link); it does not join them to each
 *   other, because a shared device or a shared inbox is not one person.
 * - A soft component belongs to the person its links name when they name exactly one (after
 *   aliases); with no link it is an anonymous person of its own; when its links name two or more
 *   different people it is contested and stays a person of its own: neither gets it, and the
 *   refusal is recorded. Every message with a userId stays on that userId's person.
 * - An alias's previousId names a userId (joined to the alias's) and, as an anonymousId, a soft id
 *   linked to it.
 *
 * The projector (store/projector.ts) applies this incrementally, splitting a soft component back
 * off a person when a second person claims it; `groupIdentifiers` is the same rule computed over a
 * whole set of messages at once, which the property test (test/identity.test.ts) compares it with.
 */

export type IdentifierKind = 'user' | 'anon' | 'email' | 'phone' | 'alias';

/** An identifier as `${kind}:${value}`. */
export type IdentifierKey = string;

export interface IdentityMessage {
  type: string;
  userId: string | null;
  anonymousId: string | null;
  email: string | null;
  phone: string | null;
  previousId: string | null;
}

export const identifierKey = (kind: IdentifierKind, value: string): IdentifierKey => `${kind}:${value}`;

/** The soft ids a message carries (an alias's previousId counts as an anonymousId). */
export function softIdentifiers(m: IdentityMessage): IdentifierKey[] {
  const out: IdentifierKey[] = [];
  if (m.anonymousId) out.push(identifierKey('anon', m.anonymousId));
  if (m.type === 'alias' && m.previousId && m.previousId !== m.anonymousId) out.push(identifierKey('anon', m.previousId));
  if (m.email) out.push(identifierKey('email', m.email));
  if (m.phone) out.push(identifierKey('phone', m.phone));
  return out;
}

class UnionFind {
  private parent = new Map<string, string>();
  add(x: string) {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }
  find(x: string): string {
    this.add(x);
    let r = x;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    let c = x;
    while (c !== r) {
      const next = this.parent.get(c)!;
      this.parent.set(c, r);
      c = next;
    }
    return r;
  }
  union(a: string, b: string) {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb < ra ? ra : rb, rb < ra ? rb : ra);
  }
  keys() {
    return [...this.parent.keys()];
  }
}

/**
 * The people a set of messages describes: each a sorted list of identifier keys, the list sorted.
 * Order-independent by construction.
 */
export function groupIdentifiers(messages: IdentityMessage[]): IdentifierKey[][] {
  const classes = new UnionFind(); // userIds, joined by aliases
  const soft = new UnionFind(); // soft ids, joined by messages without a userId
  const links: Array<[IdentifierKey, IdentifierKey]> = []; // soft id, userId
  for (const m of messages) {
    const softs = softIdentifiers(m);
    for (const s of softs) soft.add(s);
    if (m.userId) {
      const u = identifierKey('user', m.userId);
      classes.add(u);
      if (m.type === 'alias' && m.previousId) classes.union(u, identifierKey('user', m.previousId));
      for (const s of softs) links.push([s, u]);
    } else {
      for (const s of softs.slice(1)) soft.union(softs[0], s);
    }
  }
  const claims = new Map<string, Set<string>>(); // soft component -> classes linked
  for (const [s, u] of links) {
    const c = soft.find(s);
    (claims.get(c) ?? claims.set(c, new Set()).get(c)!).add(classes.find(u));
  }
  const groups = new Map<string, IdentifierKey[]>();
  const put = (group: string, key: IdentifierKey) => (groups.get(group) ?? groups.set(group, []).get(group)!).push(key);
  for (const u of classes.keys()) put(`class:${classes.find(u)}`, u);
  for (const s of soft.keys()) {
    const c = soft.find(s);
    const owners = claims.get(c);
    put(owners?.size === 1 ? `class:${[...owners][0]}` : `soft:${c}`, s);
  }
  return [...groups.values()].map((g) => g.sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
