/**
 * The outbox job that sends one survey contact (surveys/delivery.ts). Named here because erasure
 * (store/erase.ts) deletes a person's sends with their contacts; other job kinds live with the
 * feature that runs them.
 */
export const SEND_JOB = 'survey.send';
