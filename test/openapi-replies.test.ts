/**
 * The replies the dashboard reads are documented in /openapi.json by the very schemas it takes its
 * types from (src/api-types, issue 13, item 8): every field, at every depth, is the same in the
 * document and in the schema, so the document, the server and the dashboard cannot drift apart.
 * The document is OpenAPI 3.0, which writes "or null" as `nullable`; shapes are compared past that.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { AnswerPage } from '../src/api-types/answers.ts';
import { SessionView, UserAdded, UserList } from '../src/api-types/accounts.ts';
import { AtRiskPage, ChurnModelReply, ChurnRisk, ChurnSettings } from '../src/api-types/churn.ts';
import { BehaviourView, CampaignList, ImpactView } from '../src/api-types/impact.ts';
import { BenchmarksReply, BreakdownReply, DimensionList, NpsReply, TraitList, TrendReply } from '../src/api-types/metrics.ts';
import { Profile, ProfileSegments, TimelinePage, TraitHistory } from '../src/api-types/profiles.ts';
import { SegmentList } from '../src/api-types/segments.ts';
import { ContactPolicy, RunList, SurveyDetail, SurveyLink, SurveyList, SurveyReply } from '../src/api-types/surveys.ts';
import { DeliveryView, KeyCreated, KeyList, PreferencesSettings } from '../src/api-types/workspace.ts';
import { buildApp } from '../src/http/app.ts';
import { migrate, openStore } from '../src/store/db.ts';
import { tmpDir } from './helpers/backends.ts';

// [method, path, status, the schema the dashboard's type comes from]
const REPLIES: Array<[string, string, number, TSchema]> = [
  ['post', '/api/v1/session', 200, SessionView], ['get', '/api/v1/session', 200, SessionView],
  ['get', '/api/v1/metrics/nps', 200, NpsReply], ['get', '/api/v1/metrics/trend', 200, TrendReply],
  ['get', '/api/v1/metrics/breakdown', 200, BreakdownReply], ['get', '/api/v1/metrics/benchmarks', 200, BenchmarksReply],
  ['get', '/api/v1/metrics/dimensions', 200, DimensionList], ['get', '/api/v1/traits', 200, TraitList],
  ['get', '/api/v1/answers', 200, AnswerPage],
  ['get', '/api/v1/profiles', 200, Profile], ['get', '/api/v1/profiles/{id}', 200, Profile],
  ['get', '/api/v1/profiles/{id}/timeline', 200, TimelinePage], ['get', '/api/v1/profiles/{id}/traits/history', 200, TraitHistory],
  ['get', '/api/v1/profiles/{id}/segments', 200, ProfileSegments], ['get', '/api/v1/profiles/{id}/churn-risk', 200, ChurnRisk],
  ['get', '/api/v1/churn/model', 200, ChurnModelReply], ['get', '/api/v1/churn/at-risk', 200, AtRiskPage],
  ['get', '/api/v1/impact/campaigns', 200, CampaignList], ['get', '/api/v1/impact/campaign', 200, ImpactView],
  ['get', '/api/v1/metrics/behaviour', 200, BehaviourView],
  ['get', '/api/v1/segments', 200, SegmentList],
  ['get', '/api/v1/surveys', 200, SurveyList], ['get', '/api/v1/surveys/{id}', 200, SurveyDetail],
  ['post', '/api/v1/surveys', 201, SurveyReply], ['put', '/api/v1/surveys/{id}', 200, SurveyReply],
  ['get', '/api/v1/surveys/{id}/runs', 200, RunList], ['post', '/api/v1/surveys/{id}/links', 201, SurveyLink],
  ['get', '/api/v1/settings/contact-policy', 200, ContactPolicy], ['get', '/api/v1/settings/churn', 200, ChurnSettings],
  ['get', '/api/v1/settings/workspace', 200, PreferencesSettings],
  ['get', '/api/v1/settings/delivery', 200, DeliveryView], ['put', '/api/v1/settings/delivery', 200, DeliveryView],
  ['get', '/api/v1/keys', 200, KeyList], ['post', '/api/v1/keys', 201, KeyCreated],
  ['get', '/api/v1/users', 200, UserList], ['post', '/api/v1/users', 201, UserAdded],
];

type Json = Record<string, unknown>;

/** What a schema says a reply holds: types, fields (required or not), items, values; descriptions and limits aside. */
function shape(s: Json): unknown {
  const branches = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (branches) {
    // OpenAPI 3.0 has no null type: the document writes a null branch as { enum: [null], nullable: true }.
    const isNull = (b: Json) => b.type === 'null' || b.const === null || (Array.isArray(b.enum) && b.enum.length === 1 && b.enum[0] === null);
    const kept = branches.filter((b) => !isNull(b));
    const nullable = kept.length < branches.length;
    if (kept.length === 1) return { ...(shape(kept[0]) as Json), nullable };
    return { anyOf: kept.map(shape).map((x) => JSON.stringify(x)).sort(), nullable };
  }
  const nullable = s.nullable === true;
  if ('const' in s) return { const: s.const, nullable };
  if (Array.isArray(s.enum)) return s.enum.length === 1 ? { const: s.enum[0], nullable } : { anyOf: s.enum.map((v) => JSON.stringify({ const: v, nullable: false })).sort(), nullable };
  if (s.type === 'array') return { array: shape(s.items as Json), nullable };
  if (s.type === 'object' || s.properties) {
    const props = (s.properties ?? {}) as Record<string, Json>;
    const rest = (s.patternProperties ? Object.values(s.patternProperties as Record<string, Json>)[0] : s.additionalProperties) as Json | boolean | undefined;
    return {
      fields: Object.fromEntries(Object.keys(props).sort().map((k) => [k, shape(props[k])])),
      required: [...((s.required as string[] | undefined) ?? [])].sort(),
      values: rest && typeof rest === 'object' ? shape(rest) : null,
      nullable,
    };
  }
  return { type: s.type ?? 'any', nullable };
}

test('the replies the dashboard reads are documented by the schemas its types come from', async () => {
  const store = openStore({ file: join(tmpDir('advocate-openapi-replies-'), 'a.db') });
  await migrate(store);
  const { app } = await buildApp({ store });
  try {
    await app.ready();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [method, path, status, schema] of REPLIES) {
      const documented = doc.paths[path]?.[method]?.responses?.[String(status)]?.content?.['application/json']?.schema;
      assert.ok(documented, `${method.toUpperCase()} ${path} documents its ${status} reply`);
      assert.deepEqual(shape(documented), shape(JSON.parse(JSON.stringify(schema))), `${method.toUpperCase()} ${path} ${status}`);
    }
  } finally {
    await app.close();
    await store.close();
  }
});
