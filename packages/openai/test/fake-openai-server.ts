/** The fake OpenAI server lives in `src/testing` so it ships as `@writ/openai/testing`. */
export * from '../src/testing/fake-openai-server.js'
