/**
 * What customers talk about, as themes of words and phrases. A term matches a run of words by
 * lemma or stem ("delivered", "deliveries" find "delivery"); an exclusion that overlaps a match
 * cancels it ("app" is not the website in "appointment": words match whole; "support" in "thanks
 * for your support" stays, "support" in "support the local team" goes).
 */
export interface Theme {
  id: string;
  name: string;
  terms: string[];
  exclusions?: string[];
}

export interface Taxonomy {
  version: number;
  themes: Theme[];
}

export const DEFAULT_TAXONOMY: Taxonomy = {
  // Raised with every change of the built-in terms: comments sorted with the older terms are
  // sorted again in the background (the basis of an analysis names this version). A workspace's
  // first edit becomes the version after it.
  version: 6,
  themes: [
    {
      id: 'price',
      name: 'Price and value',
      terms: ['price', 'pricing', 'cost', 'costs', 'expensive', 'overpriced', 'pricey', 'cheap', 'cheaper', 'affordable', 'value for money', 'value', 'tariff', 'deal', 'discount', 'offer', 'pay for', 'worth', 'for the money', 'for my money', 'waste of money'],
      // "Feels cheap" and a cheap cord are about how it is made, not what it cost (Product quality
      // has those); "worth the wait" is about time.
      exclusions: ['value your', 'great deal of', 'a good deal of', 'worth mentioning', 'worth the wait', 'worth return', 'real deal', 'big deal', 'deal breaker', 'feel cheap', 'look cheap', 'cheap looking', 'cheap feeling', 'cheaply made', 'cheap plastic', 'cheap cord', 'cheap cable', 'cheap material', 'cheap materials',
        // Dealing with someone is not a deal: the verb, known by who or what comes before it ("the
        // person I dealt with", "was dealt with", "to deal with"); a deal with free delivery stays price.
        ...['i', 'you', 'he', 'she', 'we', 'they', 'who', 'whoever', 'be', 'being', 'have', 'and', 'ever', 'in', 'when', 'to', 'never', 'not', 'always', 'also', 'finally', 'quickly', 'promptly', 'properly', 'efficiently', 'person', 'people', 'agent', 'advisor', 'adviser', 'staff', 'someone', 'anyone', 'everyone', 'team', 'lady', 'guy', 'man', 'woman', 'gentleman'].map((w) => `${w} deal with`),
        // Offering as a verb is mostly help or a visit ("was offered an engineer visit", "can offer a
        // service"); an offer or the offers stay price.
        ...['be', 'can', 'could', 'not', 'to', 'or', 'else', 'will', 'would', 'never'].map((w) => `${w} offer`)],
    },
    {
      id: 'delivery',
      name: 'Delivery and shipping',
      terms: ['delivery', 'deliver', 'delivered', 'shipping', 'shipped', 'ship', 'shipment', 'courier', 'parcel', 'package', 'packaging', 'postage', 'dispatch', 'dispatched', 'arrive', 'arrived', 'arrival', 'tracking', 'order arrived'],
      // Delivering sound, speed or on a promise is doing what was said, not bringing a parcel.
      exclusions: ['deliver on', 'delivered on their promise', 'package deal', 'out of the package',
        ...['good', 'great', 'excellent', 'sound', 'content', 'news', 'as', 'when', 'what', 'all that', 'the advertised', 'quality', 'performance', 'results', 'value'].map((w) => `deliver ${w}`)],
    },
    {
      id: 'support',
      name: 'Customer support',
      terms: ['customer service', 'customer services', 'customer support', 'customer care', 'support', 'help desk', 'helpdesk', 'helpline', 'call centre', 'call center', 'on hold', 'agent', 'advisor', 'adviser', 'representative', 'complaint', 'complaints', 'live chat', 'chat'],
      // "My only complaint is the size" is about the size, not about complaining to the company.
      exclusions: ['no complaints', 'support the', ...['only', 'only other', 'other', 'one', 'biggest', 'main', 'minor', 'small', 'slight'].map((w) => `${w} complaint`)],
    },
    {
      id: 'quality',
      name: 'Product quality',
      terms: ['quality', 'build quality', 'sound quality', 'defective', 'faulty', 'broken', 'broke', 'durable', 'durability', 'stopped working', 'well made', 'poorly made', 'badly made', 'cheaply made', 'feel cheap', 'look cheap', 'cheap looking', 'cheap feeling', 'cheap plastic', 'cheap cord', 'cheap cable', 'cheap material', 'cheap materials', 'fell apart', 'falls apart', 'wore out', 'product', 'products', 'works great', 'works well', 'sturdy', 'flimsy',
        // Doing what it was bought to do. Not a bare "as advertised" or "as expected": "delivery as
        // advertised", "the order is going ahead as expected" are about the order.
        'works fine', 'works perfectly', 'works flawlessly', 'works like a charm', 'works as advertised', 'works as expected', 'works as described', 'works as it should',
        'does what it says', 'does what it claims', 'does what it is supposed to', "does what it's supposed to"],
      exclusions: ['heart broken', 'broke my heart', 'broken heart', 'broke the bank'],
    },
    {
      id: 'ease',
      name: 'Ease of use',
      terms: ['easy', 'easier', 'ease', 'simple', 'straightforward', 'user friendly', 'intuitive', 'complicated', 'confusing', 'difficult', 'hassle', 'hassle free', 'painless', 'process', 'seamless', 'smooth', 'smoothly'],
      // Handling a thing is not using it ("easy to carry", "easier to store", "easy on the eyes").
      exclusions: ['easy going', 'easy on the eye', 'easy on the eyes', ...['carry', 'throw', 'store', 'pack', 'clean', 'wear', 'hold', 'lose', 'break', 'fit'].map((v) => `easy to ${v}`)],
    },
    {
      id: 'billing',
      name: 'Billing and payments',
      terms: ['bill', 'bills', 'billing', 'billed', 'invoice', 'payment', 'payments', 'charge', 'charged', 'charges', 'overcharged', 'direct debit', 'first payment', 'account balance', 'paid'],
    },
    {
      id: 'setup',
      name: 'Installation and setup',
      terms: ['installation', 'install', 'installed', 'installer', 'set up', 'setup', 'setting up', 'engineer', 'engineers', 'technician', 'activation', 'activate', 'activated', 'go live', 'went live', 'connected', 'connection date', 'switch over', 'switchover', 'appointment', 'appointments', 'router', 'hub'],
    },
    {
      id: 'communication',
      name: 'Communication',
      terms: ['communication', 'communicate', 'communicated', 'inform', 'informed', 'information', 'update', 'updates', 'updated', 'keep in touch', 'kept in touch', 'contact', 'contacted', 'email', 'emails', 'letter', 'text message', 'texts', 'told', 'explained', 'explain', 'call back', 'called back', 'never called'],
      // A customer who told friends about the company is recommending it, not hearing from it.
      exclusions: ['software update', 'told my friend', 'told my friends', 'told my family', 'told my colleagues', 'told my colleague', 'told my sister', 'told my brother', 'told my neighbours', 'told my neighbors', 'told my mates', 'told friends', 'told everyone', 'told everybody', 'told all my friends', 'told others'],
    },
    {
      id: 'reliability',
      name: 'Reliability and uptime',
      terms: ['reliable', 'reliability', 'unreliable', 'outage', 'outages', 'keeps going down', 'went down', 'drops', 'dropping', 'dropped', 'disconnect', 'disconnects', 'disconnected', 'signal', 'connection', 'speed', 'speeds', 'stable', 'unstable', 'not working', 'uptime', 'broadband', 'internet', 'wifi', 'coverage',
        // Software and streaming that stall. Not "slow" or "fast": in comments those are mostly about delivery, support or the process.
        'crash', 'crashes', 'crashed', 'crashing', 'glitch', 'glitches', 'glitchy', 'buggy', 'lag', 'lags', 'laggy', 'freeze', 'freezes', 'froze', 'freezing', 'buffering', 'downtime'],
      // A price that drops is good news about the price, not a line that drops.
      exclusions: ['price dropped', 'price drop', 'prices dropped', 'dropped the price', 'dropped in price', 'dropped its price',
        // Dropping a thing or a rating is not a line that drops (terms match by lemma: "drop it" is also "dropped it").
        'drop it', 'drop them', 'drop my', 'drop the rating', 'drop a star', 'drop one star',
        // A frozen price, account or membership is not a device that freezes, nor a car crash a system that crashes.
        'price freeze', 'freeze the price', 'freeze my account', 'account freeze', 'account was frozen', 'frozen account', 'card was frozen', 'freeze my membership', 'membership freeze', 'freezing cold',
        'car crash', 'crash my car', 'crash into', 'crash on the motorway', 'road crash', 'bike crash'],
    },
    {
      id: 'staff',
      name: 'Staff',
      terms: ['staff', 'employee', 'employees', 'lady', 'guy', 'team', 'friendly', 'rude', 'polite', 'courteous', 'professional', 'unprofessional', 'knowledgeable', 'helpful', 'unhelpful', 'attitude', 'manner'],
      exclusions: ['user friendly'],
    },
    {
      id: 'returns',
      name: 'Returns and refunds',
      terms: ['return', 'returns', 'returned', 'returning', 'refund', 'refunds', 'refunded', 'exchange', 'replacement', 'replace', 'replaced', 'money back'],
      exclusions: ['in return', 'return customer', 'will return', 'would return'],
    },
    {
      id: 'digital',
      name: 'Website and app',
      terms: ['website', 'web site', 'site', 'app', 'apps', 'online', 'login', 'log in', 'portal', 'web page', 'webpage', 'checkout', 'my account', 'online account', 'browser', 'web browsing'],
    },
  ],
};
