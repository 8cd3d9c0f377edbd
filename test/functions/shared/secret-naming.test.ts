import { growerSecretName, secretOwner } from '../../../functions/shared/secret-naming';

const prefix = 'leaf/cnhi/';
const user = '0B6C4F8E-7D1A-4C1E-9F4E-3F2A1B0C9D8E';
const arnOf = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}`;

describe('secretOwner', () => {
  it.each([
    ['a name', `${prefix}cnhi-fieldops/${user}`],
    ['a full ARN with its random suffix', arnOf(`${prefix}cnhi-fieldops/${user}-a1B2c3`)],
    ['a partial ARN', arnOf(`${prefix}cnhi-fieldops/${user}`)],
  ])('maps the secret to its user and provider when given %s', (_case, secretId) => {
    // GIVEN
    const expected = `${prefix}cnhi-fieldops/${user}`;

    // WHEN
    const owner = secretOwner(secretId, prefix);

    // THEN
    expect(owner).toEqual({
      ok: true,
      provider: 'cnhi-fieldops',
      leafUserId: user.toLowerCase(),
      secretName: expected,
    });
  });

  it.each([
    ['SECRET_OUTSIDE_PREFIX', 'the name lies elsewhere', `leaf/other/cnhi/${user}`],
    ['SECRET_NAME_UNMAPPED', 'the provider is unknown', `${prefix}john-deere/${user}`],
    ['SECRET_NAME_UNMAPPED', 'the user is not a UUID', `${prefix}cnhi/bob`],
    ['SECRET_NAME_UNMAPPED', 'a plain name carries a suffix', `${prefix}cnhi/${user}-a1B2c3`],
    ['SECRET_NAME_UNMAPPED', 'the name nests deeper', `${prefix}cnhi/${user}/old`],
  ])('refuses with %s when %s', (reason, _case, secretId) => {
    // GIVEN
    const policyPrefix = prefix;

    // WHEN
    const owner = secretOwner(secretId, policyPrefix);

    // THEN
    expect(owner).toMatchObject({ ok: false, reason });
  });
});

describe('growerSecretName', () => {
  it('builds the name secretOwner maps back when given a user and provider', () => {
    // GIVEN
    const name = growerSecretName(prefix, 'cnhi', user.toLowerCase());

    // WHEN
    const owner = secretOwner(name, prefix);

    // THEN
    expect(owner).toMatchObject({ ok: true, provider: 'cnhi', leafUserId: user.toLowerCase() });
  });
});
