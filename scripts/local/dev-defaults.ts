/** Fixed local addresses used by `npm run dev` and the admin CLI (the test run picks free ports instead). */
export const DEV_POSTGRES_PORT = Number(process.env.DEV_POSTGRES_PORT ?? 54329);
export const DEV_GATEWAY_PORT = Number(process.env.DEV_GATEWAY_PORT ?? 54330);
export const DEV_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${DEV_POSTGRES_PORT}/auth_api`;
export const DEV_DATA_DIR = ".data/postgres";
