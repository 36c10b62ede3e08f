import type { Category } from '../domain/category.ts';
import type { Random } from '../domain/random.ts';

// Open-text answers for the demo. Text analysis (themes, sentiment, drivers) is later tested on
// these, so each comment is built from the theme it is about and the sentiment its score implies,
// rather than drawn from a short fixed list that a model could memorise. Templates use
// {a|b|c} alternations so a few hundred fragments give thousands of distinct sentences.

export const THEMES = ['price', 'delivery', 'support', 'quality', 'usability', 'app', 'checkout'] as const;
export type Theme = (typeof THEMES)[number];

type Tone = 'positive' | 'negative';

const PHRASES: Record<Theme, Record<Tone, string[]>> = {
  price: {
    positive: [
      'prices are {fair|reasonable|very fair} for what you get',
      'great value for money',
      '{really|very} good value{| compared to other shops}',
      'the {loyalty discount|member prices|sale prices} made it a no-brainer',
      'not expensive at all for the quality',
      'you {never|don\'t} feel overcharged here',
      'free shipping over $75 is {a nice touch|great|really handy}',
    ],
    negative: [
      "it's {way too|far too|too} expensive{| for what it is}",
      'prices went up {again|a lot|twice this year} and I noticed',
      'not worth the money',
      'shipping costs are {ridiculous|a rip-off|too high} for small orders',
      'I found the same {items|products} {cheaper|much cheaper} elsewhere',
      'the {discount code|coupon} didn\'t work and nobody would honour it',
      "it's overpriced for the quality you get",
    ],
  },
  delivery: {
    positive: [
      'delivery was {fast|super fast|quicker than expected}',
      'my order arrived {in two days|the next day|earlier than promised}',
      "I've {never|not once} had a problem with delivery",
      'tracking was clear and the parcel came {on time|right on time}',
      'everything arrived {well packed|in perfect condition}',
      'shipping is {quick|reliable|always on time}',
    ],
    negative: [
      'delivery took {two weeks|ten days|over a week|nearly three weeks}',
      'my {parcel|order|package} arrived {late|a week late|damaged}',
      'the tracking {never updated|said delivered but nothing came|was useless}',
      "I {am still waiting for|never received} part of my order",
      'the courier left my parcel {in the rain|with a neighbour I don\'t know|at the wrong address}',
      'delivery dates {keep slipping|are never met|are a joke}',
      'it didn\'t arrive in time for {the birthday|Christmas|the trip}',
    ],
  },
  support: {
    positive: [
      'the support team {sorted|fixed|handled} my return in a day',
      'customer service {was brilliant|was so helpful|went above and beyond}',
      '{Sam|Priya|Jonas|Maria} in support was {lovely|super helpful|amazing}',
      'I {can\'t|couldn\'t} fault the support team',
      'returns are {easy|painless|no hassle at all}',
      'they replied to my email {within an hour|the same day|really quickly}',
    ],
    negative: [
      'nobody answered my {emails|calls|messages}',
      'support {took a week to reply|never got back to me|was rude}',
      'I had to {chase|email} them {three|four|five} times about a refund',
      'the chat bot {is useless|couldn\'t help|went round in circles}',
      'still no refund after {three|four|six} weeks',
      'returns are a {nightmare|pain|hassle}',
      'no one {takes responsibility|seems to care} when something goes wrong',
    ],
  },
  quality: {
    positive: [
      '{great|excellent|top} quality',
      'the {products|clothes|kitchen things} {last|hold up really well|feel well made}',
      'quality is {consistently good|better than I expected|spot on}',
      'the {linen sheets|cotton tees|ceramics|towels} {are|feel} {lovely|beautiful|really premium}',
      'not bad at all for the price, {really|very} well made',
      'everything I bought {still looks new|has held up|was exactly as described}',
    ],
    negative: [
      'the {quality has dropped|items feel cheap|stitching came apart}',
      '{my|the} {mug|jumper|lamp|bag} {broke|fell apart|faded} after {a week|two washes|a month}',
      'not happy with the quality',
      'products don\'t look like the photos',
      'the {sizes|colours} are {all over the place|nothing like the website}',
      'received a {faulty|damaged|used-looking} item',
    ],
  },
  usability: {
    positive: [
      'the website is {easy|simple|really easy} to use',
      'finding what I need is {easy|quick|a breeze}',
      '{great|helpful|clear} filters and search',
      'the site is {clean|fast|well laid out}',
      'no complaints about the website, it just works',
    ],
    negative: [
      'the website is {confusing|slow|hard to navigate}',
      'search {never finds|doesn\'t find} what I\'m looking for',
      'I {can\'t|couldn\'t} find my order history',
      'too many pop-ups on the site',
      'the filters {don\'t work|reset every time|are useless}',
    ],
  },
  app: {
    positive: [
      'the app is {great|brilliant|really smooth}',
      '{love|really like} ordering from the app',
      'the app makes reordering {easy|so quick}',
      'app notifications for my {delivery|order} are {handy|spot on}',
    ],
    negative: [
      'the app {keeps crashing|is slow|logs me out all the time}',
      'the app {crashed|froze} {at checkout|when I tried to pay|twice}',
      'the latest app update {broke|ruined} {search|my basket|everything}',
      'app notifications are {spammy|too much|annoying}',
    ],
  },
  checkout: {
    positive: [
      'checkout is {quick|smooth|painless}',
      'paying is {easy|fast} with {Apple Pay|PayPal|saved cards}',
      'checkout has {never|not once} given me trouble',
    ],
    negative: [
      'checkout {failed|errored} {twice|three times|repeatedly}',
      'my payment {was declined|went through twice|was taken twice}',
      'checkout {is clunky|asks for my address every time|is far too long}',
      'the {promo code|gift card} {wouldn\'t apply|got rejected} at checkout',
    ],
  },
};

const PROMOTER_OPENERS = ['', '', '', 'Love this shop! ', 'Honestly, ', 'Always a good experience. ', 'Five stars. ', 'Really happy, '];
const PROMOTER_CLOSERS = [
  '',
  '',
  ' Highly recommend!',
  ' Will {definitely|certainly} order again.',
  ' Already told my {friends|sister|colleagues} about you.',
  ' Keep it up!',
  ' Thank you!',
];
const PASSIVE_OPENERS = ['', '', 'Mostly fine. ', 'Overall okay. ', 'Decent. ', 'Not bad. '];
const PASSIVE_CLOSERS = ['', '', ' Could be better.', ' Room for improvement.', ' Fine overall.'];
const DETRACTOR_OPENERS = ['', '', 'Very disappointed. ', 'Sorry but ', 'Honestly, ', 'Frustrating. '];
const DETRACTOR_CLOSERS = [
  '',
  '',
  ' Won\'t be ordering again.',
  ' Really disappointed.',
  ' Please sort this out.',
  ' {Not|Never} again.',
  ' Expected {better|much better}.',
];

// Short answers are common in real NPS data; without them every comment would read like a review.
const SHORT: Record<Category, string[]> = {
  promoter: ['Great!', 'Love it', 'All good', 'Excellent service', 'Never had a problem', 'No complaints', 'Not bad at all', 'Perfect every time'],
  passive: ['Fine', 'OK', 'Good but not great', 'Nothing special', 'It\'s alright', 'Could be better'],
  detractor: ['Terrible', 'Not good', 'Disappointed', 'Never again', 'Not impressed', 'Awful experience'],
};

/** Capitalises, expands alternations and guarantees the sentence ends once. */
function expand(rng: Random, template: string): string {
  return template.replace(/\{([^}]*)\}/g, (_, options: string) => rng.pick(options.split('|')));
}

/** Joins an opener to the body: "Sorry but the app…" stays lower case, "Decent. The app…" does not. */
function sentence(opener: string, text: string): string {
  const t = text.trim();
  const flows = opener !== '' && !/[.!?]\s*$/.test(opener);
  const body = flows ? t : t[0].toUpperCase() + t.slice(1);
  return opener + (/[.!?]$/.test(body) ? body : body + '.');
}

function phrase(rng: Random, theme: Theme, tone: Tone): string {
  return expand(rng, rng.pick(PHRASES[theme][tone]));
}

export interface DemoComment {
  text: string;
  /** The themes the text is actually about, so tests of text analysis have ground truth. */
  themes: Theme[];
}

/**
 * A comment consistent with the score's category. `main` is the theme the customer's experience
 * points to (a late parcel, an app user); `secondary` adds a second, contrasting or reinforcing theme.
 */
export function makeComment(rng: Random, category: Category, main: Theme, secondary?: Theme): DemoComment {
  if (rng.chance(0.1)) return { text: rng.pick(SHORT[category]), themes: [] };
  const other = secondary && secondary !== main ? secondary : undefined;
  if (category === 'promoter') {
    let body = phrase(rng, main, 'positive');
    if (other) body += rng.pick([' and ', ', and ', '. Also ', '; ']) + phrase(rng, other, 'positive');
    return {
      text: sentence(rng.pick(PROMOTER_OPENERS), body) + expand(rng, rng.pick(PROMOTER_CLOSERS)),
      themes: other ? [main, other] : [main],
    };
  }
  if (category === 'detractor') {
    let body = phrase(rng, main, 'negative');
    if (other) body += rng.pick([' and ', ', and ', '. On top of that ', ', plus ']) + phrase(rng, other, 'negative');
    return {
      text: sentence(rng.pick(DETRACTOR_OPENERS), body) + expand(rng, rng.pick(DETRACTOR_CLOSERS)),
      themes: other ? [main, other] : [main],
    };
  }
  // Passives usually say what is good and what holds them back; the main theme is the complaint.
  const good = other ?? rng.pick(THEMES.filter((t) => t !== main));
  const body = rng.chance(0.5)
    ? phrase(rng, good, 'positive') + rng.pick([' but ', ', but ', ', however ', ' although ']) + phrase(rng, main, 'negative')
    : phrase(rng, main, 'negative') + rng.pick([', otherwise ', ' but ', '. Apart from that ']) + phrase(rng, good, 'positive');
  return { text: sentence(rng.pick(PASSIVE_OPENERS), body) + expand(rng, rng.pick(PASSIVE_CLOSERS)), themes: [main, good] };
}
