import { randomBytes } from 'node:crypto';

/** A grower secret whose every secret value carries a recognisable canary. */
export interface CanaryCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly refreshToken: string;
  readonly clientEnvironment?: 'STAGE' | 'PRODUCTION';
}

/** The marker every canary value contains; finding it anywhere but at Leaf is a leak. */
export const canaryMarker = 'CANARY';

/** Fresh credentials whose secret values all contain {@link canaryMarker} and a unique tail. */
export const canaryCredentials = (
  clientEnvironment: CanaryCredentials['clientEnvironment'] = 'STAGE',
): CanaryCredentials => {
  const tail = () => randomBytes(6).toString('hex');

  return {
    clientId: `${canaryMarker}-client-${tail()}`,
    clientSecret: `${canaryMarker}-secret-${tail()}`,
    subscriptionKey: `${canaryMarker}-subscription-${tail()}`,
    refreshToken: `${canaryMarker}-refresh-${tail()}`,
    clientEnvironment,
  };
};
