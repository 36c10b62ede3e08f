import type { Command } from '../domain/commands.ts';
import { updateAnswer } from './answers.ts';
import type { Store } from './db.ts';
import { deleteProfile, type Erasure } from './erase.ts';
import { changePersonEmail } from './profiles.ts';
import type { AnswerTable } from './schema.ts';

/** What each command gives back. */
export interface CommandResults {
  'answer.edit': AnswerTable | null;
  'person.email': null;
  'person.erase': Erasure | null;
}

export type CommandResult<C extends Command> = CommandResults[C['type']];

/** Applies a command in its own transaction, which also appends the facts it announces. Only the writer calls this. */
export async function applyCommand(store: Store, workspaceId: string, c: Command): Promise<CommandResults[Command['type']]> {
  switch (c.type) {
    case 'answer.edit':
      return updateAnswer(store.db, workspaceId, c.answerId, c.patch, c.at);
    case 'person.email':
      await changePersonEmail(store, workspaceId, c.profileId, c.from, c.to);
      return null;
    case 'person.erase':
      return deleteProfile(store.db, workspaceId, c.profileId);
  }
}
