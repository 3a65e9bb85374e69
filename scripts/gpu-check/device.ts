// Step 1 of `npm run gpu:check`: the driver and the device, and which image of each kernel module
// the driver takes (or every image it refused, and why). Exits 1 when there is no usable GPU.
import { probeCuda } from '../../src/gpu/cuda-driver.ts';
import { gpuStatus } from '../../src/gpu/gpu-status.ts';
import { CudaPhysicsEngine } from '../../src/gpu/physics-engine.ts';
import { GpuSsspEngine } from '../../src/sssp/gpu-engine.ts';

const probe = probeCuda();
console.log(JSON.stringify({ probe }, null, 2));
if (!probe.available) {
  console.log(`no usable GPU: ${probe.reason}`);
  process.exit(1);
}
let failed = false;
try {
  const physics = CudaPhysicsEngine.create();
  console.log(`physics engine: ${physics.description}`);
  await physics.dispose();
} catch (error) {
  failed = true;
  console.log(`physics engine did not open: ${error instanceof Error ? error.message : String(error)}`);
}
const sssp = await GpuSsspEngine.open();
console.log(
  sssp.unavailable === undefined ? `shortest-path engine: on ${sssp.deviceName}` : `shortest-path engine did not open: ${sssp.unavailable}`,
);
failed ||= sssp.unavailable !== undefined;
sssp.dispose();
console.log(JSON.stringify({ status: gpuStatus() }, null, 2));
process.exit(failed ? 1 : 0);
