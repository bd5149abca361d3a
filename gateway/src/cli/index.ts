// The gateway's command line: `register` writes the application-service registration, `start` runs the gateway.
import { runGateway } from '../run.ts';
import { register, registerUsage } from './register.ts';

const usage = `Usage: clawchat-gateway <command>

Commands:
  start      run the gateway (configuration from the environment and GATEWAY_CONFIG; see README.md)
  register   write the application-service registration YAML

${registerUsage}`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'start':
    await runGateway();
    break;
  case 'register':
    try {
      process.stdout.write(`${register(rest)}\n`);
    } catch (error) {
      process.stderr.write(`register: ${(error as Error).message}\n`);
      process.exit(2);
    }
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(`${usage}\n`);
    break;
  default:
    process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${usage}\n`);
    process.exit(2);
}
