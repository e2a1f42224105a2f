// A scripted, local stand-in for the OpenAI API, for tests and offline demos
export {
  type FakeOpenAIServer,
  type RecordedRequest,
  type ScriptedToolCall,
  type ScriptedTurn,
  startFakeOpenAIServer,
} from './fake-openai-server.js'
