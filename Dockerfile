# The VisionFlow node image: Node 20, production dependencies, TypeScript run through tsx, the viewer
# built at image build time (the node runs as an unprivileged user that cannot write /app).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY tsconfig.json ./
COPY schemas ./schemas
COPY migrations ./migrations
COPY scripts ./scripts
COPY samples ./samples
COPY src ./src
# The built CUDA kernels: the image has no nvcc, and the GPU engines load these as they are.
COPY build/gpu ./build/gpu
COPY viewer ./viewer
RUN node scripts/build-viewer.mjs
# glibc malloc: keep freed position frames (600 KB keyframes at 100k nodes) in the heap instead of
# handing them back to the kernel and faulting them in again on the next frame; and transparent huge
# pages for the typed arrays that shortest-path runs read at random.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 MALLOC_MMAP_THRESHOLD_=8388608 MALLOC_TRIM_THRESHOLD_=67108864
EXPOSE 8080
USER node
CMD ["node", "--import=./src/cli/hold-signals.mjs", "--import=tsx", "src/cli/start.ts"]
