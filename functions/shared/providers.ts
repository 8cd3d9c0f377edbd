import * as z from 'zod';

/**
 * The CNHI platforms Leaf accepts credentials for. `cnhi` is the legacy AFS Connect platform,
 * which CNH keeps only through the end of 2026; `cnhi-fieldops` is its successor. A Leaf user may
 * hold both while growers migrate, so every record is keyed by user and provider.
 */
export const providers = {
  cnhi: { leafPath: 'cnhi-credentials', environmentRequired: true },
  'cnhi-fieldops': { leafPath: 'cnhi-field-ops-credentials', environmentRequired: false },
} as const;

export type Provider = keyof typeof providers;

export const providerIds = Object.keys(providers) as Provider[];

export const defaultProvider: Provider = 'cnhi';

export const clientEnvironments = ['STAGE', 'PRODUCTION'] as const;

export type ClientEnvironment = (typeof clientEnvironments)[number];

/** Leaf's FieldOps default when a body leaves `clientEnvironment` out. */
export const defaultFieldOpsEnvironment: ClientEnvironment = 'STAGE';

export const isProvider = (value: unknown): value is Provider =>
  typeof value === 'string' && Object.hasOwn(providers, value);

export const providerSchema = z.enum(providerIds as [Provider, ...Provider[]]);
