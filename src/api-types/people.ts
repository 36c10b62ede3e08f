import { Type } from '@sinclair/typebox';

/** Name, email and phone as known, wherever a person is shown (answers, profiles, the live feed). */
export const PersonNames = Type.Object({
  name: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
});
