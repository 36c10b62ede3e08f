import { Type, type TSchema } from '@sinclair/typebox';

/** A value or null: how replies say "not known" or "none" (never by leaving the field out). */
export const Nullable = <T extends TSchema>(schema: T, options?: { description?: string }) => Type.Union([schema, Type.Null()], options);
