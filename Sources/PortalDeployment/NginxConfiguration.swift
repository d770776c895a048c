/// nginx in front of several portals, set up as the README's "Running several portals" says: streams
/// unbuffered with a long read timeout, uploads streamed with a body limit above 4 MiB, connections to the
/// portals kept open. The tests and the benchmarks run nginx with it, so that what they measure and prove is
/// what the README tells an operator to write.
public enum NginxConfiguration {
    /// A whole `nginx.conf` for plain HTTP on loopback.
    /// - Parameters:
    ///   - listenPort: the port nginx listens on, on 127.0.0.1.
    ///   - portalPorts: the portals' ports on 127.0.0.1.
    ///   - folder: where nginx keeps its pid file, error log and temporary files (an absolute path).
    ///   - keepalive: connections kept open to the portals for each worker; 0 opens one for each request. Idle
    ///     ones retire after 5 s, before a portal closes them (10 s), so none is reused as it closes.
    ///   - workers: nil runs one process without a master (a test's child that stops with its parent); a
    ///     number runs a master and that many workers, as in production.
    ///   - runsAsRoot: whether nginx is started by root, whose workers would otherwise run as `nobody`.
    public static func forPortals(
        listenPort: Int, portalPorts: [Int], folder: String, keepalive: Int = 64, workers: Int? = nil,
        runsAsRoot: Bool = false
    ) -> String {
        let servers = portalPorts.map { "server 127.0.0.1:\($0) max_fails=1 fail_timeout=10s;" }.joined(separator: " ")
        let temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map { "\($0)_temp_path \(folder)/\($0);" }
            .joined(separator: " ")
        let processes = workers.map { "worker_processes \($0);\(runsAsRoot ? " user root;" : "")" }
            ?? "master_process off; worker_processes 1;"
        return """
            daemon off; \(processes)
            pid \(folder)/nginx.pid; error_log \(folder)/error.log; worker_rlimit_nofile 20000;
            events { worker_connections 4096; }
            http {
                access_log off; \(temp)
                upstream portals { \(servers) \(keepalive > 0 ? "keepalive \(keepalive); keepalive_timeout 5s;" : "") }
                server {
                    listen 127.0.0.1:\(listenPort) backlog=4096;
                    client_max_body_size 5m;
                    location / {
                        proxy_pass http://portals;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_buffering off;
                        proxy_request_buffering off;
                        proxy_read_timeout 1h;
                        proxy_next_upstream error timeout;
                    }
                }
            }
            """
    }
}
