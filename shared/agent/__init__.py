"""The support agent: OpenAI Agents SDK agent, its tools, rules and models."""
