# One image for every Airlock service: `airlock start --only <service>` picks which one a container runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
COPY bench/package.json ./bench/package.json
COPY test/package.json ./test/package.json
RUN npm ci --no-audit --no-fund && npx tsc -b packages/cli && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production AIRLOCK_HTTP_HOST=0.0.0.0 AIRLOCK_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
COPY examples ./examples
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
ENTRYPOINT ["node", "packages/cli/dist/bin.js"]
CMD ["start"]
