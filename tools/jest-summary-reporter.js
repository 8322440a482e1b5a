/**
 * Jest reporter that appends this run's totals to the file named by MECHINT_TEST_SUMMARY, so that
 * `.ci/run` can print one closing line for the whole workspace.
 */
import { appendFileSync } from 'node:fs';

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const file = process.env.MECHINT_TEST_SUMMARY;
    if (!file) return;
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    appendFileSync(file, `${numPassedTests} ${numFailedTests} ${numPendingTests + numTodoTests}\n`);
  }
}
