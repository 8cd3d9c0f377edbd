import { App, Validations } from 'aws-cdk-lib';
import { parseConfig } from '../lib/config';
import { provisionerNagPacks } from '../lib/nag-packs';
import { ProvisionerStack } from '../lib/provisioner-stack';

const app = new App();
const config = parseConfig((key) => app.node.tryGetContext(key));

new ProvisionerStack(app, 'LeafCnhiProvisioner', {
  description: "Attaches growers' CNH Industrial credentials to their Leaf users",
  config,
  // Unset outside a configured AWS profile; the stack is then environment-agnostic, and it needs
  // no lookups either way.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(...provisionerNagPacks(app));
