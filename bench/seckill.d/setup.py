"""bench/seckill's setup, against a running server: buyers with access tokens and two sales,
`a` with a seat for every buy the run can make (USERS x PER_USER) and `b` with one seat (its
run measures refusals), and each buyer's buy token for each once they are open, written to
OUT_DIR as pairs-a, pairs-b ("<access token> <buy token>" per line) and the event ids as id-a,
id-b.

    setup.py BASE ADMIN PASSWORD USERS PER_USER OUT_DIR

Buyers are made through the API as staff would (POST /api/v1/users) and sign in through the
password grant: the same hashing and checks as real accounts, in parallel.
"""
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request


def call(base, method, path, token=None, body=None):
    headers = {"accept": "application/json", "accept-language": "en"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def must(answer, status, what):
    if answer[0] != status:
        sys.exit(f"{what}: expected {status}, got {answer[0]}: {answer[1]}")
    return answer[1]


def main():
    base, admin, password, users, per_user, out_dir = sys.argv[1:7]
    users, per_user = int(users), int(per_user)
    root = must(call(base, "POST", "/api/v1/auth/token", body={"username": admin, "password": password}),
                200, "admin token")["access_token"]
    run = str(int(time.time()))[-6:]
    secret = f"bench {run} correct horse battery"

    def buyer(i):
        name = f"b{run}x{i}"
        must(call(base, "POST", "/api/v1/users", root,
                  {"username": name, "email": f"{name}@example.com", "password": secret, "is_active": True}),
             201, f"user {name}")
        return must(call(base, "POST", "/api/v1/auth/token", body={"username": name, "password": secret}),
                    200, f"token {name}")["access_token"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        bearers = list(pool.map(buyer, range(users)))

    courses = must(call(base, "GET", "/api/v1/courses?price_min=5000&per_page=1"), 200, "courses")["results"]
    if not courses:
        sys.exit("no priced course to sell (seed the demo data)")
    now = time.time()
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    for name, stock, limit in (("a", users * per_user, per_user), ("b", 1, 1)):
        event = must(call(base, "POST", "/api/v1/seckill-events", root, {
            "course_id": courses[0]["id"], "title": f"bench {run} {name}", "price_cents": 100,
            "stock": stock, "per_user_limit": limit, "starts_at": start, "ends_at": end,
        }), 201, f"event {name}")
        while must(call(base, "GET", f"/api/v1/seckill-events/{event['id']}"), 200, "event")["phase"] != "open":
            time.sleep(0.1)

        def buy_token(bearer):
            return must(call(base, "POST", f"/api/v1/seckill-events/{event['id']}/tokens", bearer), 201,
                        "buy token")["token"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            tokens = list(pool.map(buy_token, bearers))
        with open(f"{out_dir}/pairs-{name}", "w") as f:
            for bearer, token in zip(bearers, tokens):
                f.write(f"{bearer} {token}\n")
        with open(f"{out_dir}/id-{name}", "w") as f:
            f.write(f"{event['id']}\n")


if __name__ == "__main__":
    main()
