// The viewer's entry point: the token from the page's URL, the scene, the viewer.
import { createScene } from './scene.ts';
import { defaultThreshold, thresholdFromQuery } from './render-mode.ts';
import { Viewer } from './viewer.ts';

declare global {
  interface Window {
    visionflow?: Viewer;
  }
}

const token = new URLSearchParams(location.search).get('token');
const canvas = document.querySelector<HTMLCanvasElement>('#scene');
const ui = document.querySelector<HTMLElement>('#ui');
if (canvas === null || ui === null) throw new Error('index.html lacks #scene or #ui');
if (token === null || token === '') {
  ui.textContent = 'Open this page with ?token=… (npm start prints the URL).';
} else {
  const scene = createScene(canvas);
  const pointsAbove = thresholdFromQuery(location.search, defaultThreshold(scene.renderer));
  window.visionflow = new Viewer(scene, ui, token, { pointsAbove });
}
