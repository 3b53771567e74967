# One image for every process of signup-pipeline: the API, the consumer services and the
# register-schemas job differ only in their command (see docker-compose.yml).

# --- build: compile TypeScript with the dev dependencies --------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
# Only needed where @confluentinc/kafka-javascript's prebuilt binary cannot be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/lib/copy-migrations.mjs ./scripts/lib/
RUN npm run build

# --- production dependencies only --------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
USER node
EXPOSE 3000 9101 9102 9103 9104
CMD ["node", "--enable-source-maps", "--max-semi-space-size=16", "--max-old-space-size=160", "--heap-growing-percent=100", "dist/cli/api.js"]
