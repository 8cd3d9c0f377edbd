import { createServer } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Connections an SDK client, configured as functions/shared/aws-clients.ts configures it, opens for
 * `rounds` rounds of `perRound` concurrent calls to a server that keeps connections alive. moto
 * answers every request with `Connection: close`, so counting against moto shows moto's choice,
 * not the client's; this stand-in answers a DynamoDB GetItem with `{}` (no item) and keeps the
 * connection, as DynamoDB does.
 */
export const countSdkConnections = async (rounds: number, perRound: number): Promise<number> => {
  let connections = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end('{}');
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}` }),
  );

  try {
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: perRound }, () =>
          client.send(new GetCommand({ TableName: 'keep-alive', Key: { pk: 'a', sk: 'b' } })),
        ),
      );
    }
  } finally {
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  return connections;
};
