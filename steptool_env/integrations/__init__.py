"""Adapters that let tooling people already use drive a StepTool env, each an optional extra.

- :mod:`~steptool_env.integrations.mcp_server`: an episode's offered tools as MCP tools, over
  stdio or streamable HTTP (``steptool serve mcp``; extra ``mcp``);
- :mod:`~steptool_env.integrations.openenv_adapter`: an OpenEnv-conformant server and client
  for any StepTool env id (``steptool serve openenv``; extra ``openenv``);
- :mod:`~steptool_env.integrations.trl`: TRL's ``GRPOTrainer`` on any text StepTool env, through
  its ``rollout_func`` with the env's responses masked out of the loss (extra ``trl``);
- :mod:`~steptool_env.integrations.verifiers_env`: a verifiers 0.4 taskset, harness and env
  over any text StepTool env (``vf-eval steptool-verifiers``, loaded through the top-level
  package ``steptool_verifiers``; extra ``verifiers``, in an environment of its own);
- :mod:`~steptool_env.integrations.episode`: what the MCP and OpenEnv adapters share, one env
  driven by tool calls or action text, with JSON-safe results (no third-party dependency).

Every adapter is thin: it calls ``env.reset`` and ``env.step`` of the env ``gym.make`` builds,
so the same seed and the same actions give the same trajectory as the in-process env.
Importing this package imports nothing heavy; each adapter imports its third-party package
when used, and names the extra that installs it when it is missing.
"""
