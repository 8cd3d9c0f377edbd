import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigurationError } from '../../../functions/shared/env';
import {
  createOutcomePublisher,
  type OutcomeEvent,
  outcomeDetail,
  readOutcomeEventBusName,
} from '../../../functions/shared/outcome-events';

const leafUserId = '0b6c4f8e-7d1a-4c1e-9f4e-3f2a1b0c9d8e';
const time = new Date('2030-01-02T03:04:05.000Z');

describe('outcomeDetail', () => {
  it('copies only the schema fields when an event carries others', () => {
    // GIVEN
    const event = {
      type: 'CredentialProvisioned',
      leafUserId,
      provider: 'cnhi',
      messageId: 'm-1',
      clientSecret: 'CANARY-secret',
      body: '{"refreshToken":"CANARY"}',
    } as OutcomeEvent;

    // WHEN
    const detail = outcomeDetail(event, time);

    // THEN
    expect(detail).toEqual({
      schemaVersion: 1,
      outcomeId: 'CredentialProvisioned:m-1',
      leafUserId,
      provider: 'cnhi',
      messageId: 'm-1',
    });
  });

  it('leaves a value out when it does not fit its field', () => {
    // GIVEN
    const event = {
      type: 'RequestFailed',
      leafUserId: 'not an id',
      provider: 'john-deere',
      reasonCode: 'lower case',
      action: 'EXPLODED',
    } as unknown as OutcomeEvent;

    // WHEN
    const detail = outcomeDetail(event, time);

    // THEN
    expect(detail).toEqual({
      schemaVersion: 1,
      outcomeId: 'RequestFailed:-:-:2030-01-02T03:04:05.000Z',
    });
  });

  it('keys drift by user, provider and moment when no message is involved', () => {
    // GIVEN
    const event: OutcomeEvent = {
      type: 'DriftFound',
      leafUserId,
      provider: 'cnhi-fieldops',
      findings: ['Leaf reports status UNAUTHENTICATED'],
    };

    // WHEN
    const detail = outcomeDetail(event, time);

    // THEN
    expect(detail).toMatchObject({
      outcomeId: `DriftFound:${leafUserId}:cnhi-fieldops:2030-01-02T03:04:05.000Z`,
      findings: ['Leaf reports status UNAUTHENTICATED'],
    });
  });
});

describe('createOutcomePublisher', () => {
  const eventBridge = mockClient(EventBridgeClient);
  const publisher = () =>
    createOutcomePublisher({ eventBusName: 'outcomes', client: new EventBridgeClient({}) });
  const event = (messageId: string): OutcomeEvent => ({
    type: 'CredentialRemoved',
    leafUserId,
    messageId,
  });

  beforeEach(() => {
    eventBridge.reset();
  });

  it('sends the refused entries once more when EventBridge refuses some', async () => {
    // GIVEN
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });

    // WHEN
    await publisher().publish([event('m-1'), event('m-2')]);

    // THEN
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(
      calls[1]?.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '{}')),
    ).toEqual([expect.objectContaining({ messageId: 'm-2' })]);
  });

  it('throws a retryable error when an entry is refused twice', async () => {
    // GIVEN
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    // WHEN
    const publishing = publisher().publish(event('m-1'));

    // THEN
    await expect(publishing).rejects.toMatchObject({
      reason: 'AWS_UNAVAILABLE',
      retryable: true,
      message: 'outcome events not published (1 of 1, InternalFailure)',
    });
  });

  it('throws a retryable error naming the error type when the call fails', async () => {
    // GIVEN
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('boom'), { name: 'Timeout' }));

    // WHEN
    const publishing = publisher().publish(event('m-1'));

    // THEN
    await expect(publishing).rejects.toMatchObject({ reason: 'AWS_UNAVAILABLE', retryable: true });
  });

  it('sends at most ten entries a call when given more', async () => {
    // GIVEN
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const many = Array.from({ length: 23 }, (_, i) => event(`m-${i}`));

    // WHEN
    await publisher().publish(many);

    // THEN
    const sizes = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
  });

  it('addresses the bus and the product source when it publishes', async () => {
    // GIVEN
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });

    // WHEN
    await publisher().publish({ ...event('m-1'), time });

    // THEN
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject(
      {
        EventBusName: 'outcomes',
        Source: 'leaf-cnhi-provisioner',
        DetailType: 'CredentialRemoved',
        Time: time,
      },
    );
  });
});

describe('readOutcomeEventBusName', () => {
  it('throws a configuration error when the variable is missing', () => {
    // GIVEN
    const env = {};

    // WHEN / THEN
    expect(() => readOutcomeEventBusName(env)).toThrow(ConfigurationError);
  });

  it('trims the name when it is set', () => {
    // GIVEN
    const env = { OUTCOME_EVENT_BUS_NAME: ' outcomes \n' };

    // WHEN
    const name = readOutcomeEventBusName(env);

    // THEN
    expect(name).toBe('outcomes');
  });
});
