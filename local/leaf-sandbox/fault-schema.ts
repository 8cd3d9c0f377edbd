import { z } from 'zod';
import type { FaultRule } from './types';

// JSON has no RegExp, so the control API takes a pattern's source as `pathRegex`.
const match = z
  .object({
    method: z.string().optional(),
    path: z.string().optional(),
    pathRegex: z.string().optional(),
    route: z.enum(['authenticate', 'credentials', 'alerts']).optional(),
  })
  .optional();

const common = {
  match,
  times: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
};

const faultRuleSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('status'),
    status: z.number().int().min(200).max(599),
    body: z.enum(['problem', 'html', 'empty', 'invalid-json']).optional(),
    ...common,
  }),
  z.object({
    kind: z.literal('rate-limit'),
    retryAfterSeconds: z.number().int().min(0).optional(),
    ...common,
  }),
  z.object({ kind: z.literal('latency'), ms: z.number().min(0), ...common }),
  z.object({
    kind: z.literal('drop-mid-body'),
    status: z.number().int().min(200).max(599).optional(),
    ...common,
  }),
  z.object({
    kind: z.enum(['drop', 'drop-after-apply', 'hang', 'expire-token']),
    ...common,
  }),
]);

const faultRulesSchema = z.union([faultRuleSchema, z.array(faultRuleSchema)]);

/** Outcome of reading fault rules sent to the control API. */
export type FaultRulesResult =
  | { readonly ok: true; readonly rules: FaultRule[] }
  | { readonly ok: false; readonly message: string };

/** Parses one fault rule or an array of them from JSON sent to `POST /__sandbox/faults`. */
export const parseFaultRules = (json: unknown): FaultRulesResult => {
  const parsed = faultRulesSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, message: z.prettifyError(parsed.error) };
  }
  const list = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  try {
    const rules = list.map(({ match: given, ...rest }): FaultRule => {
      if (given === undefined) {
        return rest;
      }
      const { pathRegex, path, ...others } = given;

      return {
        ...rest,
        match: { ...others, path: pathRegex === undefined ? path : new RegExp(pathRegex) },
      };
    });

    return { ok: true, rules };
  } catch (error) {
    return { ok: false, message: `match.pathRegex: ${(error as Error).message}` };
  }
};
