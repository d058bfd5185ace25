'use strict';
// Some CommonJS dependencies of Nest 12's Fastify adapter require() packages that are ESM only (Node 20.19+
// can; jest's loader on Node < 24.9 cannot). Those files are compiled to CommonJS when they are required,
// and left as they are when imported.
const ts = require('typescript');

module.exports = {
  process(source, path, { supportsStaticESM }) {
    if (supportsStaticESM) return { code: source };
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: path,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true, esModuleInterop: true, sourceMap: true },
    });
    return { code: outputText, map: sourceMapText };
  },
};
