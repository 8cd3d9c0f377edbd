import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { statusTableSchema } from '../../functions/shared/status-table-schema';

// The item-level actions of the status store. Transactions need no action of their own: IAM
// checks each Put, Update or ConditionCheck inside them.
const readActions = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
const writeActions = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** Properties of a {@link StatusTable}. */
export interface StatusTableProps {
  /**
   * What happens to the table when it leaves the stack. It holds the only record of what was
   * provisioned, so it outlives the stack unless told otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The status table, keyed as {@link statusTableSchema} describes, with point-in-time recovery.
 * Its grants name the table and its one index exactly, where the `Table` grants would allow
 * `index/*`.
 */
export class StatusTable extends Table {
  constructor(scope: Construct, id: string, props: StatusTableProps = {}) {
    super(scope, id, {
      partitionKey: { name: statusTableSchema.partitionKey, type: AttributeType.STRING },
      sortKey: { name: statusTableSchema.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      // Only webhook receipts carry it; records and history never expire.
      timeToLiveAttribute: statusTableSchema.timeToLiveAttribute,
    });
    this.addGlobalSecondaryIndex({
      indexName: statusTableSchema.credentialIdIndex.name,
      partitionKey: {
        name: statusTableSchema.credentialIdIndex.partitionKey,
        type: AttributeType.STRING,
      },
      projectionType: ProjectionType.ALL,
    });
  }

  /** Lets the grantee read status records, from the table and from the credential-id index. */
  grantStatusRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: readActions,
      resourceArns: [
        this.tableArn,
        `${this.tableArn}/index/${statusTableSchema.credentialIdIndex.name}`,
      ],
    });
  }

  /** Lets the grantee read and write status records; indexes are never written directly. */
  grantStatusReadWrite(grantee: IGrantable): Grant {
    const write = Grant.addToPrincipal({
      grantee,
      actions: writeActions,
      resourceArns: [this.tableArn],
    });

    return this.grantStatusRead(grantee).combine(write);
  }

  /**
   * Lets the grantee read and write status records and scan the table, as the scheduled audit
   * does to visit every record. Only the table is scanned, never the index.
   */
  grantStatusAudit(grantee: IGrantable): Grant {
    const scan = Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Scan'],
      resourceArns: [this.tableArn],
    });

    return this.grantStatusReadWrite(grantee).combine(scan);
  }
}
