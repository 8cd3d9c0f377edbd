import { randomUUID } from 'node:crypto';
import { planRequests } from '../../cli/request-plan';

describe('planRequests', () => {
  it('refuses a second request for the same user and provider that nothing orders', () => {
    // GIVEN
    const leafUserId = randomUUID();
    const rows = [
      { line: 2, fields: { leafUserId, secretId: 'leaf/cnhi/a', operation: 'provision' } },
      { line: 3, fields: { leafUserId: leafUserId.toUpperCase(), operation: 'deprovision' } },
    ];

    // WHEN
    const { requests, problems } = planRequests(rows);

    // THEN
    expect(requests.map((request) => request.line)).toEqual([2]);
    expect(problems).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringContaining('same Leaf user') }),
    ]);
  });

  it('accepts requests for the same user when their requestedAt orders them', () => {
    // GIVEN
    const leafUserId = randomUUID();
    const rows = [
      { line: 2, fields: { leafUserId, requestedAt: '2024-05-01T10:00:00Z' } },
      { line: 3, fields: { leafUserId, requestedAt: '2024-05-01T11:00:00+01:00' } },
      { line: 4, fields: { leafUserId, requestedAt: '2024-05-01T12:00:00Z' } },
    ];

    // WHEN
    const { requests, problems } = planRequests(rows, 'deprovision');

    // THEN
    expect(requests.map((request) => request.line)).toEqual([2, 4]);
    expect(problems).toEqual([expect.objectContaining({ line: 3 })]);
  });

  it("plans a row's body exactly as written, less its operation", () => {
    // GIVEN
    const fields = { operation: 'Provision', leafUserId: randomUUID(), secretId: 'leaf/cnhi/b' };

    // WHEN
    const { requests } = planRequests([{ line: 7, fields }]);

    // THEN
    expect(requests).toEqual([
      expect.objectContaining({
        operation: 'provision',
        body: JSON.stringify({ leafUserId: fields.leafUserId, secretId: 'leaf/cnhi/b' }),
      }),
    ]);
  });

  it('refuses a row whose operation disagrees with the command', () => {
    // GIVEN
    const rows = [{ line: 2, fields: { leafUserId: randomUUID(), operation: 'deprovision' } }];

    // WHEN
    const { problems } = planRequests(rows, 'provision');

    // THEN
    expect(problems).toEqual([
      { line: 2, message: 'operation is deprovision, but the command says provision' },
    ]);
  });

  it('refuses a secretId that holds a value instead of naming a secret', () => {
    // GIVEN a secret's value where its name belongs
    const rows = [
      {
        line: 4,
        fields: { leafUserId: randomUUID(), secretId: '{"clientSecret":"CANARY-pasted"}' },
      },
    ];

    // WHEN
    const { requests, problems } = planRequests(rows, 'provision');

    // THEN nothing is planned, and the problem does not repeat the value
    expect(requests).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        line: 4,
        message: expect.stringContaining("secret's name or ARN"),
      }),
    ]);
    expect(JSON.stringify(problems)).not.toContain('CANARY');
  });

  it('refuses fields the contract does not name', () => {
    // GIVEN
    const rows = [{ line: 2, fields: { leafUserId: randomUUID(), secretID: 'leaf/cnhi/c' } }];

    // WHEN
    const { problems } = planRequests(rows, 'deprovision');

    // THEN
    expect(problems).toEqual([
      expect.objectContaining({
        line: 2,
        message: expect.stringContaining('unknown field secretID'),
      }),
    ]);
  });
});
