/**
 * `mkt campaign …`: one file per subcommand family, named after the command, so a command is
 * found by its name. Each file registers its commands on the group; order here is help order.
 */
import type { Command } from 'commander';
import type { ActionFactory } from '../run.js';
import { registerCreate } from './create.js';
import { registerList } from './list.js';
import { registerShow } from './show.js';
import { registerCancel } from './cancel.js';
import { registerCheck } from './check.js';
import { registerPrepare } from './prepare.js';
import { registerStatus } from './status.js';
import { registerReport } from './report.js';
import { registerSend } from './send.js';
import { registerLinks } from './links.js';
import { registerCompare } from './compare.js';
import { registerApply } from './apply.js';
import { registerEdit } from './edit.js';
import { registerTest } from './test.js';

export function registerCampaign(program: Command, action: ActionFactory): void {
  const group = program.command('campaign').description('build, prepare and send campaigns');
  for (const register of [registerCreate, registerList, registerShow, registerCancel, registerCheck, registerPrepare, registerStatus, registerLinks, registerCompare, registerReport, registerSend, registerApply, registerEdit, registerTest]) register(group, action);
}
