import sys
from prometheus_client import Counter, Gauge, Histogram, Summary, Info, Enum, generate_latest, REGISTRY
from prometheus_client.openmetrics.exposition import generate_latest as gen_om
c = Counter('http_requests', 'HTTP requests.', ['method', 'code'])
c.labels('get', '200').inc(5); c.labels('post', '500').inc(2)
h = Histogram('request_latency_seconds', 'Latency.', ['path'], buckets=(0.1, 0.5, 1.0))
h.labels('/a').observe(0.2); h.labels('/b').observe(0.7)
s = Summary('job_seconds', 'Job time.')
s.observe(1.5)
g = Gauge('queue_depth', 'Queue depth.'); g.set(3)
i = Info('app', 'App info.'); i.info({'version': '1.2.3'})
e = Enum('task_state', 'Task state.', states=['starting', 'running', 'stopped']); e.state('running')
sys.stdout.buffer.write(gen_om(REGISTRY) if sys.argv[1] == 'om' else generate_latest(REGISTRY))
