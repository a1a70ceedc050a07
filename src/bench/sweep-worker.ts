/*
 * A sweep worker process (forked by sweep.ts): evaluates the tasks it is sent, one at a time, and answers each with
 * its result. Backends are found by the usual plugin discovery.
 */
import { evaluatePoint, type SweepTask } from './sweep.js';

process.on('message', (task: SweepTask) => {
  void evaluatePoint(task).then((r) => process.send?.({ ...r, id: task.id }));
});
process.on('disconnect', () => process.exit(0));
