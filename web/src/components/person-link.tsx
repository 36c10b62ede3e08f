import { personLabel } from '../../../src/domain/person-label.ts';
import { profileHref } from '../links.ts';
import type { PersonNames } from '../types.ts';

/**
 * A person wherever one appears: their name, else email, else phone, else an id, as the link to
 * their profile. `label` is the server's (the same rule, src/domain/person-label.ts); without it the
 * label is worked out here. Names and emails are the customer's own text: only ever JSX text.
 */
export function PersonLink({ profileId, person, label }: { profileId: string; person?: PersonNames | null; label?: string | null }) {
  const shown = label || personLabel(person, profileId);
  // The hover names what the label leaves out (the email beside a name), in plain text.
  const all = [person?.name, person?.email, person?.phone].filter((v): v is string => !!v);
  const title = all.length > 1 || (all.length === 1 && all[0] !== shown) ? all.join(' · ') : undefined;
  return <a class="person" href={profileHref(profileId)} title={title} data-profile-id={profileId}>{shown}</a>;
}
