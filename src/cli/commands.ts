import type { Command } from 'commander';
import type { ActionFactory } from './run.js';
import { registerCampaign } from './campaign.js';
import { registerCustomers } from './customers.js';
import { registerDemo } from './demo.js';
import { registerProvider } from './provider.js';
import { registerSegment } from './segment.js';
import { registerTemplate } from './template.js';
import { registerSuppress } from './suppress.js';
import { registerServe } from './serve.js';
import { registerFeedback } from './feedback.js';
import { registerInit } from './init.js';
import { registerDoctor } from './doctor.js';
import { registerDb } from './db.js';
import { registerCompletion } from './completion.js';

/**
 * Every command group. A group module only imports what its commands need to be described;
 * heavy libraries (mjml, AWS SDK, twilio, inquirer) are imported inside the actions that use
 * them, so `mkt --help` stays fast (test/e2e/startup.test.ts checks this).
 */
export function registerCommands(program: Command, action: ActionFactory): void {
  registerCustomers(program, action);
  registerProvider(program, action);
  registerCampaign(program, action);
  registerDemo(program, action);
  registerSegment(program, action);
  registerTemplate(program, action);
  registerSuppress(program, action);
  registerServe(program, action);
  registerFeedback(program, action);
  registerInit(program, action);
  registerDoctor(program, action);
  registerDb(program, action);
  registerCompletion(program, action);
}
