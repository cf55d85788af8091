// Bundles the console with esbuild into CONSOLE_OUT (default dist/):
// index.html plus assets/app-HASH.js and assets/app-HASH.css, which
// batond embeds (cmake/build_console.cmake). CONSOLE_SRC is the console/
// source folder when the build runs in a copy (the CMake build runs npm
// in its own build directory so several build trees never share
// node_modules).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const src = process.env.CONSOLE_SRC || __dirname;
const out = process.env.CONSOLE_OUT || path.join(__dirname, 'dist');

const result = esbuild.buildSync({
    entryPoints: { app: path.join(src, 'src', 'main.js') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome100', 'firefox100'],
    outdir: path.join(out, 'assets'),
    entryNames: '[name]-[hash]',
    nodePaths: [path.join(process.cwd(), 'node_modules')],
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
});

const names = {};
for (const file of Object.keys(result.metafile.outputs)) {
    const base = path.basename(file);
    if (base.endsWith('.js')) names.js = base;
    if (base.endsWith('.css')) names.css = base;
}
let html = fs.readFileSync(path.join(src, 'src', 'index.html'), 'utf8');
html = html.replace('@APP_JS@', 'assets/' + names.js).replace('@APP_CSS@', 'assets/' + names.css);
fs.writeFileSync(path.join(out, 'index.html'), html);
console.log(`console: ${names.js}, ${names.css} in ${out}`);
