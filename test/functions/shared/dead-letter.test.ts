import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { sendToDeadLetterQueue } from '../../../functions/shared/dead-letter';
import { PermanentError, type PermanentReason } from '../../../functions/shared/errors';
import { sqsRecord } from '../../fixtures/sqs-record';

const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/provision-dlq';
const leafUserId = '3f2b8c1e-9d4a-4b6e-8f70-1a2b3c4d5e6f';
const canary = 'CANARY-client-secret';
const notFound = new PermanentError('SECRET_NOT_FOUND', 'grower secret not found');

describe('sendToDeadLetterQueue', () => {
  const sqs = mockClient(SQSClient);

  /** The one message the code sent; fails the test when it sent none or several. */
  const sent = (): SendMessageCommandInput => {
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);

    return sqs.commandCalls(SendMessageCommand)[0]?.args[0].input as SendMessageCommandInput;
  };

  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dlq-message-1' });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  afterAll(() => {
    sqs.restore();
  });

  it('adds requestedAt to the copy when the body has none', async () => {
    // GIVEN
    const record = sqsRecord({ leafUserId, secretId: 'leaf/cnhi/missing' });

    // WHEN
    await sendToDeadLetterQueue(
      new SQSClient({}),
      queueUrl,
      record,
      notFound,
      '2024-05-01T10:00:00.000Z',
    );

    // THEN
    expect(sent().QueueUrl).toBe(queueUrl);
    expect(JSON.parse(sent().MessageBody ?? '')).toEqual({
      leafUserId,
      secretId: 'leaf/cnhi/missing',
      requestedAt: '2024-05-01T10:00:00.000Z',
    });
  });

  it('keeps the body’s own requestedAt when it has one', async () => {
    // GIVEN
    const body = JSON.stringify({ leafUserId, requestedAt: '2024-04-30T08:00:00+02:00' });
    const record = sqsRecord(body);

    // WHEN
    await sendToDeadLetterQueue(
      new SQSClient({}),
      queueUrl,
      record,
      notFound,
      '2024-05-01T10:00:00.000Z',
    );

    // THEN
    expect(sent().MessageBody).toBe(body);
  });

  it('copies only the contract fields when no requestedAt is known', async () => {
    // GIVEN a body with a contract field and an unknown field that could hold anything
    const record = sqsRecord({ leafUserId, note: canary, provider: { nested: canary } });
    const failure = new PermanentError('SECRET_NOT_FOUND', 'grower secret not found');

    // WHEN
    await sendToDeadLetterQueue(new SQSClient({}), queueUrl, record, failure);

    // THEN
    expect(JSON.parse(sent().MessageBody ?? '')).toEqual({ leafUserId });
  });

  const pasted = JSON.stringify({ clientSecret: canary });

  it.each([
    { field: 'leafUserId', body: { leafUserId: pasted } },
    { field: 'secretId', body: { leafUserId, secretId: pasted } },
    { field: 'provider', body: { leafUserId, provider: pasted } },
    { field: 'requestedAt', body: { leafUserId, requestedAt: canary } },
    { field: 'correlationId', body: { leafUserId, correlationId: pasted } },
  ])('leaves out a $field that is not shaped like one, as a pasted secret is', async ({ body }) => {
    // GIVEN a credential put where a contract field belongs
    const record = sqsRecord(body);
    const failure = new PermanentError('MESSAGE_INVALID', 'a field is of the wrong shape');

    // WHEN
    await sendToDeadLetterQueue(new SQSClient({}), queueUrl, record, failure);

    // THEN
    expect(sent().MessageBody).not.toContain(canary);
  });

  it.each([
    { case: 'the body is not JSON', body: `{leafUserId: ${canary}` },
    { case: 'the body is a JSON array', body: `[${JSON.stringify({ leafUserId, note: canary })}]` },
  ])('sends a note instead of the body when $case', async ({ body }) => {
    // GIVEN
    const record = sqsRecord(body);
    const failure = new PermanentError('MESSAGE_INVALID', 'message body is not a JSON object');

    // WHEN
    await sendToDeadLetterQueue(
      new SQSClient({}),
      queueUrl,
      record,
      failure,
      '2024-05-01T10:00:00.000Z',
    );

    // THEN
    expect(JSON.parse(sent().MessageBody ?? '')).toEqual({
      bodyWithheld: 'MESSAGE_INVALID',
      originalMessageId: record.messageId,
    });
  });

  it.each<{ reason: PermanentReason; body: string }>([
    {
      reason: 'INLINE_CREDENTIALS',
      body: JSON.stringify({ leafUserId, clientSecret: canary, refreshToken: canary }),
    },
    {
      reason: 'MESSAGE_TOO_LARGE',
      body: JSON.stringify({ leafUserId, password: canary, padding: 'x'.repeat(300 * 1024) }),
    },
  ])('withholds the body when the reason is $reason', async ({ reason, body }) => {
    // GIVEN
    const record = sqsRecord(body);
    const failure = new PermanentError(reason, 'refused');

    // WHEN
    await sendToDeadLetterQueue(
      new SQSClient({}),
      queueUrl,
      record,
      failure,
      '2024-05-01T10:00:00.000Z',
    );

    // THEN
    expect(JSON.parse(sent().MessageBody ?? '')).toEqual({
      bodyWithheld: reason,
      originalMessageId: record.messageId,
    });
    expect(JSON.stringify(sent())).not.toContain('CANARY');
  });

  it('attaches the reason and the original delivery when it sends', async () => {
    // GIVEN
    jest.useFakeTimers({ now: Date.parse('2024-05-01T12:00:00.000Z') });
    const record = sqsRecord({ leafUserId }, { attributes: { ApproximateReceiveCount: '4' } });

    // WHEN
    await sendToDeadLetterQueue(new SQSClient({}), queueUrl, record, notFound);

    // THEN
    expect(sent().MessageAttributes).toEqual({
      reasonCode: { DataType: 'String', StringValue: 'SECRET_NOT_FOUND' },
      reasonMessage: { DataType: 'String', StringValue: 'grower secret not found' },
      originalMessageId: { DataType: 'String', StringValue: record.messageId },
      receiveCount: { DataType: 'Number', StringValue: '4' },
      failedAt: { DataType: 'String', StringValue: '2024-05-01T12:00:00.000Z' },
    });
  });

  it('cuts the reason message to 512 characters when it is longer', async () => {
    // GIVEN
    const failure = new PermanentError('LEAF_REJECTED', `Leaf answered 418 ${'x'.repeat(600)}`);

    // WHEN
    await sendToDeadLetterQueue(new SQSClient({}), queueUrl, sqsRecord({ leafUserId }), failure);

    // THEN
    expect(sent().MessageAttributes?.reasonMessage?.StringValue).toHaveLength(512);
  });

  it('fails retryably without quoting the SDK when the send fails', async () => {
    // GIVEN
    sqs
      .on(SendMessageCommand)
      .rejects(
        Object.assign(new Error(`cannot send body ${canary}`), { name: 'QueueDoesNotExist' }),
      );

    // WHEN
    const attempt = sendToDeadLetterQueue(
      new SQSClient({}),
      queueUrl,
      sqsRecord({ leafUserId }),
      notFound,
    );

    // THEN
    await expect(attempt).rejects.toMatchObject({
      reason: 'AWS_UNAVAILABLE',
      retryable: true,
      message: 'dead-letter queue send failed (QueueDoesNotExist)',
    });
  });
});
