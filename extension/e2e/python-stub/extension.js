// ms-python.python stand-in for the e2e test: `environments.getActiveEnvironmentPath` answers the
// workspace's `pythonStub.activeInterpreter` until "Python stub: select env-fixed" switches it to
// <folder>/env-fixed/bin/python and fires `onDidChangeActiveEnvironmentPath`.
const vscode = require('vscode');
const path = require('path');

exports.activate = function activate(context) {
  const changed = new vscode.EventEmitter();
  let selected;
  const folder = () => vscode.workspace.workspaceFolders?.[0];
  const configured = () => {
    const f = folder();
    const v = vscode.workspace.getConfiguration('pythonStub', f?.uri).get('activeInterpreter');
    return v && f ? v.replace('${workspaceFolder}', f.uri.fsPath) : v || '';
  };
  context.subscriptions.push(
    changed,
    vscode.commands.registerCommand('pythonStub.selectFixed', () => {
      const f = folder();
      if (!f) return;
      selected = path.join(f.uri.fsPath, 'env-fixed', 'bin', 'python');
      changed.fire({ id: selected, path: selected, resource: f });
    }),
  );
  const none = new vscode.EventEmitter().event;
  return {
    ready: Promise.resolve(),
    environments: {
      getActiveEnvironmentPath() {
        const p = selected ?? configured();
        return { id: p, path: p };
      },
      onDidChangeActiveEnvironmentPath: changed.event,
      updateActiveEnvironmentPath: async () => undefined,
      known: [],
      onDidChangeEnvironments: none,
      refreshEnvironments: async () => undefined,
      resolveEnvironment: async () => undefined,
      getEnvironmentVariables: () => ({}),
      onDidEnvironmentVariablesChange: none,
    },
  };
};
exports.deactivate = function deactivate() {};
