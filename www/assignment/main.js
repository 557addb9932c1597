// The assignment page (assignment.html): the student's view by default, author mode at
// #author (opened by the lab's "Make an assignment from this run"). window.idlabAssignment
// exposes what the page holds, for tests and the console.

import { initialFile, openBytes, wireOpen } from './open.js';
import { showAssignment } from './student.js';
import { showAuthor } from './author.js';
import { workerInfo, runsStarted } from './compute.js';
import { isolation } from '../isolation.js';
import { threadedBuild } from '../format.js';

const $ = (id) => document.getElementById(id);
const api = { ctx: null, opened: null, state: 'starting', error: null, get runsStarted() { return runsStarted(); } };
window.idlabAssignment = api;

function showError(message) {
  const box = $('open-error');
  box.textContent = message;
  box.hidden = !message;
}

/** Opens `file` ({name, bytes}) as the student's view; a refused file shows the core's message. */
async function open(file) {
  showError('');
  api.state = 'opening';
  $('open-status').textContent = `Opening ${file.name}…`;
  try {
    const opened = await openBytes(file.name, file.bytes);
    api.opened = opened;
    api.ctx = await showAssignment($('student'), opened);
    $('open-status').textContent = `Opened ${file.name}.`;
    api.state = 'open';
  } catch (err) {
    $('student').hidden = true;
    $('student').replaceChildren();
    api.ctx = null;
    api.error = err.message;
    api.state = 'refused';
    $('open-status').textContent = '';
    showError(`${file.name} was not opened: ${err.message}`);
  }
}

async function start() {
  await isolation; // the worker picks its build once the page knows (isolation.js); never settles before a reload
  workerInfo().then((info) => {
    $('build').textContent = `Build: ${info.flavor === 'threads' ? threadedBuild(info) : 'single-threaded'}, idlab ${info.version}.`;
  }, (err) => { $('build').textContent = `The compute worker did not start: ${err.message}`; });
  if (location.hash === '#author') {
    $('open-panel').hidden = true;
    api.state = 'author';
    api.author = await showAuthor($('author'));
    return;
  }
  wireOpen($('assignment-file'), $('assignment-drop'), open);
  let file = null;
  try {
    file = await initialFile();
  } catch (err) {
    showError(err.message);
    api.state = 'refused';
    api.error = err.message;
    return;
  }
  if (file) await open(file);
  else api.state = 'empty';
}

// Entering or leaving #author switches the page's mode: start afresh (other fragments are in-page links).
const authorAtStart = location.hash === '#author';
window.addEventListener('hashchange', () => {
  if ((location.hash === '#author') !== authorAtStart) location.reload();
});
start();
