/** How far a move has got. */
export interface MoveProgress {
  readonly moved: number;
  /** Known once the move has counted the source; a move task reports it as it starts. */
  readonly toMove: number;
}

/** How a move ended. */
export interface MoveResult extends MoveProgress {
  readonly status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  readonly failureReason?: string;
  /** Whether SQS moved the messages (a message move task) or the command copied them. */
  readonly method: MoveMethod;
}

/**
 * `task`: SQS's own message move task (StartMessageMoveTask), which runs in AWS and survives the
 * command. `copy`: receive, send, delete, done by the command, for emulators without move tasks
 * (moto 5.2 implements neither StartMessageMoveTask nor ListMessageMoveTasks).
 */
export type MoveMethod = 'task' | 'copy';

export const moveMethods: readonly MoveMethod[] = ['task', 'copy'];

/** A dead-letter queue and the queue its messages go back to. */
export interface MoveRequest {
  readonly sourceUrl: string;
  readonly sourceArn: string;
  readonly destinationUrl: string;
  readonly destinationArn: string;
  /**
   * Messages moved per second at most.
   * @default - as fast as SQS allows (a move task defaults to 500 per second)
   */
  readonly maxPerSecond?: number;
  readonly onProgress: (progress: MoveProgress) => void;
}
