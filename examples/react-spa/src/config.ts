/** Where Gatehouse and the API are; `npm start` sets both, these are its defaults. */
export const GATEHOUSE_URL: string = import.meta.env.VITE_GATEHOUSE_URL ?? "http://localhost:4000";
export const API_URL: string = import.meta.env.VITE_API_URL ?? "http://localhost:3001";
