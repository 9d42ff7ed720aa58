//! The token and profile endpoints of each dialect, in its own reply formats.

use std::collections::HashMap;

use axum::{
    extract::{Form, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::{arg, random, redeem, token_owner, Redeem, Shared, CLIENT_ID, MP_CLIENT_ID};

// ---- QQ ----

fn qq_reply(
    inner: &Shared,
    q: &HashMap<String, String>,
    value: serde_json::Value,
    form: Option<String>,
) -> Response {
    let json = inner.lock().unwrap().json_mode && arg(q, "fmt") == "json";
    if json {
        return Json(value).into_response();
    }
    match form {
        Some(form) => form.into_response(),
        None => format!("callback( {value} );\n").into_response(),
    }
}

pub(super) async fn qq_token(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if arg(&q, "grant_type") != "authorization_code" {
        return qq_reply(
            &inner,
            &q,
            json!({"error": 100005, "error_description": "param grant_type is wrong"}),
            None,
        );
    }
    let redeemed = redeem(
        &inner,
        arg(&q, "code"),
        (arg(&q, "client_id"), arg(&q, "client_secret")),
        Some(arg(&q, "redirect_uri")),
        None,
    );
    let error = |code: u32, text: &str| {
        qq_reply(
            &inner,
            &q,
            json!({"error": code, "error_description": text}),
            None,
        )
    };
    match redeemed {
        Redeem::Ok(_, token) => qq_reply(
            &inner,
            &q,
            json!({"access_token": token, "expires_in": "7776000", "refresh_token": random()}),
            Some(format!(
                "access_token={token}&expires_in=7776000&refresh_token={}",
                random()
            )),
        ),
        Redeem::Reused => error(100020, "code is reused error"),
        Redeem::Unknown => error(100019, "code to access token error"),
        Redeem::BadClient => error(100013, "access token is illegal"),
        Redeem::BadRedirect => error(100010, "redirect uri is illegal"),
        Redeem::BadVerifier => error(100019, "code to access token error"),
    }
}

pub(super) async fn qq_me(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((person, _)) = token_owner(&inner, q.get("access_token")) else {
        return qq_reply(
            &inner,
            &q,
            json!({"error": 100016, "error_description": "access token check failed"}),
            None,
        );
    };
    let mut body = json!({"client_id": CLIENT_ID, "openid": person.openid});
    if arg(&q, "unionid") == "1" {
        if let Some(u) = &person.unionid {
            body["unionid"] = json!(u);
        }
    }
    qq_reply(&inner, &q, body, None)
}

pub(super) async fn qq_user(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match token_owner(&inner, q.get("access_token")) {
        Some((person, _)) if arg(&q, "openid") == person.openid && arg(&q, "oauth_consumer_key") == CLIENT_ID => Json(json!({
            "ret": 0, "msg": "", "nickname": person.nickname, "gender": "男",
            "figureurl_qq_1": "http://qzapp.qlogo.cn/40", "figureurl_qq_2": "http://qzapp.qlogo.cn/100"
        }))
        .into_response(),
        _ => Json(json!({"ret": 1002, "msg": "请先登录"})).into_response(),
    }
}

// ---- WeChat ----

pub(super) async fn wechat_token(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if arg(&q, "grant_type") != "authorization_code" {
        return Json(json!({"errcode": 40002, "errmsg": "invalid grant_type"})).into_response();
    }
    match redeem(
        &inner,
        arg(&q, "code"),
        (arg(&q, "appid"), arg(&q, "secret")),
        None,
        None,
    ) {
        Redeem::Ok(person, token) => {
            let mp = arg(&q, "appid") == MP_CLIENT_ID;
            let openid = if mp {
                &person.mp_openid
            } else {
                &person.openid
            };
            let mut body = json!({
                "access_token": token, "expires_in": 7200, "refresh_token": random(),
                "openid": openid, "scope": if mp { "snsapi_userinfo" } else { "snsapi_login" },
            });
            if let Some(u) = &person.unionid {
                body["unionid"] = json!(u);
            }
            Json(body).into_response()
        }
        Redeem::Reused => {
            Json(json!({"errcode": 40163, "errmsg": "code been used, rid: 6f1d"})).into_response()
        }
        Redeem::BadClient => {
            Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"})).into_response()
        }
        _ => Json(json!({"errcode": 40029, "errmsg": "invalid code"})).into_response(),
    }
}

pub(super) async fn wechat_user(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match token_owner(&inner, q.get("access_token")) {
        Some((person, app)) => {
            let openid = if app == MP_CLIENT_ID {
                &person.mp_openid
            } else {
                &person.openid
            };
            if arg(&q, "openid") != openid {
                return Json(json!({"errcode": 40003, "errmsg": "invalid openid"})).into_response();
            }
            let mut body = json!({
                "openid": openid, "nickname": person.nickname, "sex": 1, "province": "", "city": "",
                "country": "CN", "headimgurl": "https://thirdwx.qlogo.cn/0", "privilege": []
            });
            if let Some(u) = &person.unionid {
                body["unionid"] = json!(u);
            }
            Json(body).into_response()
        }
        None => {
            Json(json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}))
                .into_response()
        }
    }
}

// ---- Weibo ----

fn weibo_error(status: StatusCode, code: u32, error: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_code": code, "request": "/oauth2/access_token"})),
    )
        .into_response()
}

pub(super) async fn weibo_token(
    State(inner): State<Shared>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    match redeem(&inner, arg(&f, "code"), (arg(&f, "client_id"), arg(&f, "client_secret")), Some(arg(&f, "redirect_uri")), None) {
        Redeem::Ok(person, token) => Json(json!({
            "access_token": token, "expires_in": 157679999, "remind_in": "157679999", "uid": person.openid, "isRealName": "true"
        }))
        .into_response(),
        Redeem::Reused | Redeem::Unknown => weibo_error(StatusCode::BAD_REQUEST, 21325, "invalid_grant"),
        Redeem::BadClient => weibo_error(StatusCode::UNAUTHORIZED, 21324, "invalid_client"),
        _ => weibo_error(StatusCode::BAD_REQUEST, 21322, "redirect_uri_mismatch"),
    }
}

pub(super) async fn weibo_user(
    State(inner): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match token_owner(&inner, q.get("access_token")) {
        Some((person, _)) if arg(&q, "uid") == person.openid => Json(json!({
            "id": person.openid.parse::<u64>().unwrap_or(0), "idstr": person.openid,
            "screen_name": person.nickname, "profile_image_url": "https://tvax1.sinaimg.cn/50", "avatar_large": "https://tvax1.sinaimg.cn/180"
        }))
        .into_response(),
        _ => weibo_error(StatusCode::BAD_REQUEST, 21332, "invalid_access_token"),
    }
}

// ---- GitHub ----

pub(super) async fn github_token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let json = headers.get("accept").and_then(|v| v.to_str().ok()) == Some("application/json");
    let redeemed = redeem(
        &inner,
        arg(&f, "code"),
        (arg(&f, "client_id"), arg(&f, "client_secret")),
        f.get("redirect_uri").map(String::as_str),
        f.get("code_verifier").map(String::as_str),
    );
    let body = match redeemed {
        Redeem::Ok(_, token) => {
            json!({"access_token": token, "token_type": "bearer", "scope": "read:user"})
        }
        Redeem::Reused | Redeem::Unknown => {
            json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."})
        }
        Redeem::BadClient => {
            json!({"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."})
        }
        Redeem::BadRedirect => json!({"error": "redirect_uri_mismatch"}),
        Redeem::BadVerifier => {
            json!({"error": "invalid_grant", "error_description": "The code_verifier does not match the code_challenge."})
        }
    };
    if json {
        Json(body).into_response()
    } else {
        // Without `Accept: application/json` GitHub answers form-encoded.
        let form: Vec<(String, String)> = body
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect();
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish()
            .into_response()
    }
}

pub(super) async fn github_user(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    if headers.get("user-agent").is_none() {
        return (StatusCode::FORBIDDEN, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header").into_response();
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        })
        .map(str::to_string);
    match token_owner(&inner, token.as_ref()) {
        Some((person, _)) => Json(json!({
            "id": person.openid.parse::<u64>().unwrap_or(0), "login": format!("gh{}", person.openid),
            "name": person.nickname, "avatar_url": "https://avatars.githubusercontent.com/u/1"
        }))
        .into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({"message": "Bad credentials"}))).into_response(),
    }
}
