// The VS Code client: starts `dlm lsp` (by default through npx, so the project's own dlm is used) and
// connects it to .dlm files. Install with `npm install` here, then package with `npx @vscode/vsce package`.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

exports.activate = (context) => {
  const cfg = vscode.workspace.getConfiguration('dlm');
  const server = { command: cfg.get('command', 'npx'), args: cfg.get('args', ['dlm', 'lsp']) };
  client = new LanguageClient('dlm', 'dlm', { run: server, debug: server }, { documentSelector: [{ scheme: 'file', language: 'dlm' }] });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
};

exports.deactivate = () => (client ? client.stop() : undefined);
