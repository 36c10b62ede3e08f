import { Type } from '@sinclair/typebox';
import { Condition } from '../domain/survey-definition.ts';

// Replies of the saved-segment routes (src/http/segments.ts).

export const SegmentView = Type.Object({
  id: Type.String(), name: Type.String(), conditions: Type.Array(Condition),
  people: Type.Optional(Type.Integer({ description: 'People in the segment now' })),
  answers: Type.Optional(Type.Integer({ description: 'Their answers' })),
  createdAt: Type.String(), updatedAt: Type.String(),
});
export const SegmentReply = Type.Object({ segment: SegmentView });
export const SegmentList = Type.Object({ items: Type.Array(SegmentView) });
