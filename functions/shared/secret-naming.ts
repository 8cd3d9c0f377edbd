import { type Provider, providerIds } from './providers';

/**
 * Which Leaf user and provider a grower secret belongs to is written in its name:
 * `<prefix><provider>/<leafUserId>`, for example `leaf/cnhi/cnhi-fieldops/0b6c4f8e-…`.
 *
 * A name rather than tags, because a name cannot change after the secret is created while a tag
 * can be rewritten by anyone allowed `secretsmanager:TagResource`: a rewritten tag would send one
 * grower's credentials to another grower's Leaf user at the next rotation. A name also needs no
 * extra call (and no `DescribeSecret` permission) to read, and the same prefix serves the IAM
 * policy, the EventBridge pattern and this check.
 */
export type SecretOwner =
  | {
      readonly ok: true;
      readonly leafUserId: string;
      readonly provider: Provider;
      /** The secret's name, without the random suffix an ARN carries. */
      readonly secretName: string;
    }
  | {
      readonly ok: false;
      readonly reason: 'SECRET_OUTSIDE_PREFIX' | 'SECRET_NAME_UNMAPPED';
      readonly message: string;
    };

const uuid = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const arnPattern = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;
const providerAlternatives = providerIds.map((id) => id.replace(/[-]/g, '\\-')).join('|');
const ownedName = new RegExp(`^(${providerAlternatives})/(${uuid})$`);
// Secrets Manager appends a hyphen and six random characters to the name in a full ARN.
const ownedArnName = new RegExp(`^(${providerAlternatives})/(${uuid})(?:-[A-Za-z0-9]{6})?$`);

/** The name a grower's secret must have for the product to map it to its user and provider. */
export const growerSecretName = (prefix: string, provider: Provider, leafUserId: string): string =>
  `${prefix}${provider}/${leafUserId}`;

/** Reads the user and provider from a secret's name or ARN, or says why it cannot. */
export const secretOwner = (secretId: string, prefix: string): SecretOwner => {
  const arn = arnPattern.exec(secretId);
  const name = arn?.[1] ?? secretId;
  if (!name.startsWith(prefix)) {
    return {
      ok: false,
      reason: 'SECRET_OUTSIDE_PREFIX',
      message: `secret is not under ${prefix}`,
    };
  }
  const match = (arn ? ownedArnName : ownedName).exec(name.slice(prefix.length));
  if (!match?.[1] || !match[2]) {
    return {
      ok: false,
      reason: 'SECRET_NAME_UNMAPPED',
      message: `secret name must be ${prefix}<provider>/<leafUserId> with provider ${providerIds.join(' or ')}`,
    };
  }

  return {
    ok: true,
    provider: match[1] as Provider,
    leafUserId: match[2].toLowerCase(),
    secretName: `${prefix}${match[1]}/${match[2]}`,
  };
};
