// Runs one system on one case of a scenario, alone in its process, for runScenario.ts: receives
// a WorkerJob over IPC, replies with a WorkerReply, exits.
import { readFixture, type WorkerJob, type WorkerReply } from './runScenario.ts'
import { findScenario } from './scenarios.ts'

async function run(job: WorkerJob): Promise<WorkerReply> {
  try {
    const scenario = findScenario(job.scenario)
    if (!scenario) throw new Error(`worker: no scenario ${job.scenario}`)
    const measurements = await scenario.measure(job.benchCase, job.system, await readFixture(job), {
      runs: job.runs,
      isolated: true,
      progress: (line) => process.stderr.write(`  ${line}\n`),
    })
    return { type: 'measurements', measurements }
  } catch (error) {
    return {
      type: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    }
  }
}

process.once('message', (job: WorkerJob) => {
  void run(job).then((reply) => {
    // Exit once the reply is written: storage handles left open must not keep the process alive.
    process.send?.(reply, () => process.exit(0))
  })
})
