import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { envNames } from '../../functions/shared/env-names';
import { outcomeEventSource } from '../../functions/shared/outcome-events';

/** Properties of an {@link OutcomeBus}. */
export interface OutcomeBusProps {
  /**
   * The bus's name, which consumers in other stacks and accounts address.
   * @default - a name CloudFormation generates from the stack and construct path
   */
  readonly eventBusName?: string;
  /**
   * How long the archive keeps every outcome event, so a consumer that was down, or a rule added
   * later, can replay what it missed.
   * @default Duration.days(30)
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
   */
  readonly archiveRetention?: Duration;
}

/**
 * The EventBridge bus the product publishes each request's outcome to (schema in
 * functions/shared/outcome-events.ts), with an archive of those events. A bus of its own rather
 * than the default bus, so the product's events and the permissions on them stay apart from
 * every other service's.
 */
export class OutcomeBus extends Construct {
  /** The bus. */
  readonly eventBus: EventBus;
  /** Keeps the product's events for replay. */
  readonly archive: Archive;

  constructor(scope: Construct, id: string, props: OutcomeBusProps = {}) {
    super(scope, id);

    this.eventBus = new EventBus(this, 'Bus', { eventBusName: props.eventBusName });
    this.archive = this.eventBus.archive('Archive', {
      description: 'Every outcome event of the provisioner, for replay',
      eventPattern: { source: [outcomeEventSource] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
  }

  /** Lets the function publish to the bus, and tells it the bus's name. */
  grantPublish(fn: IFunction & { addEnvironment(key: string, value: string): unknown }): void {
    this.eventBus.grantPutEventsTo(fn);
    fn.addEnvironment(envNames.outcomeEventBusName, this.eventBus.eventBusName);
  }
}
