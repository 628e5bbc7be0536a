// What the panel says when the sandbox cannot start: what is missing, and how to fix it.

export function explainSandboxProblem(message: string, platform: string = process.platform): string {
  if (/permission denied.*docker\.sock|EACCES.*docker\.sock/i.test(message))
    return `VS Code may not use Docker: add your user to the "docker" group (then log in again), or set DOCKER_HOST. Details: ${message}`;
  if (/Docker is not reachable|docker\.sock|Cannot connect to the Docker daemon|ECONNREFUSED.*docker|ENOENT.*docker/i.test(message)) {
    const start =
      platform === 'darwin' || platform === 'win32'
        ? 'start Docker Desktop'
        : 'start the Docker Engine (`sudo systemctl start docker`, or Docker Desktop)';
    return `Docker is not running. The agent's sandbox is a Docker container: ${start}, then press Retry (or run "Suna: Restart Server"). Details: ${message}`;
  }
  return `The sandbox could not start: ${message}`;
}
