import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { defaultBundleAwsSdk, nodejsBundling } from '../bundling';

/** Properties of a {@link ProvisionerFunction}. */
export interface ProvisionerFunctionProps {
  /** Path of the TypeScript entry point, which exports `handler`. */
  readonly entry: string;
  /** Value of `POWERTOOLS_SERVICE_NAME`, which names the service in every log line and metric. */
  readonly serviceName: string;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Upper bound of one invocation.
   * @default Duration.seconds(30)
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
   */
  readonly timeout?: Duration;
  /**
   * Memory, which also sets the function's share of CPU.
   * @default 256
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
   */
  readonly memorySize?: number;
  /**
   * How long the function's log group keeps its events.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the bundle carries its own AWS SDK instead of using the one in the runtime. Bundling
   * pins the version we tested and, measured, starts faster; the runtime's copy makes a smaller
   * package. See `defaultBundleAwsSdk` in lib/bundling.ts for the figures.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Environment variables besides the ones this construct always sets.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * A Node.js function with the house defaults: Node.js 24 on arm64, ESM bundle with source maps,
 * active tracing, JSON logs in its own log group with a retention, a role of its own that may
 * write only to that log group, and an alarm on errors.
 */
export class ProvisionerFunction extends Construct {
  /** The Lambda function. */
  readonly lambdaFunction: NodejsFunction;
  /** The function's execution role; grant to this or to {@link lambdaFunction}. */
  readonly role: Role;
  /** The log group the function writes to. */
  readonly logGroup: LogGroup;
  /** The function's timeout, from which the queue consumer derives its visibility timeout. */
  readonly timeout: Duration;
  /** Alarms an operator should hear about; the stack routes them to its topic. */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ProvisionerFunctionProps) {
    super(scope, id);
    this.timeout = props.timeout ?? Duration.seconds(30);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    // Our own role instead of the default one, whose AWSLambdaBasicExecutionRole would let the
    // function create and write any log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    this.logGroup.grantWrite(this.role);

    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: this.timeout,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        ...props.environment,
      },
      // The same options scripts/build-bundles.ts builds with, so the tested bundle is this one.
      bundling: nodejsBundling(props.bundleAwsSdk ?? defaultBundleAwsSdk),
    });

    this.alarms.push(
      new Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `${this.node.path} failed an invocation (an error, a timeout or a crash). See README, Runbook: Function errors.`,
        metric: this.lambdaFunction.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no ' +
        'resource-level permissions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html',
    });
  }
}
